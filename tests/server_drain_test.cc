// `anomalens serve` as a process under SIGTERM: it stops accepting, finishes
// the request in flight (its change committed, its response sent with a
// request id that is also in the access log), then exits 0. And the
// operators' endpoints over real sockets.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "native/jobs/file_io.h"
#include "native/server/store.h"
#include "prometheus_text.h"

namespace anomalens {
namespace {

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << "send failed";
    sent += static_cast<size_t>(n);
  }
}

// Reads until the server closes the connection (requests say Connection: close).
std::string ReadAll(int fd) {
  timeval timeout{20, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

std::string Get(int port, const std::string& path) {
  const int fd = Connect(port);
  if (fd < 0) return "";
  SendAll(fd, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  std::string response = ReadAll(fd);
  close(fd);
  return response;
}

int StatusOf(const std::string& response) {
  return response.size() > 12 && response.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(response.substr(9, 3)) : 0;
}

std::string BodyOf(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

class ServeProcess : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& extra) {
    char pattern[] = "/tmp/anomalens-drain-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    std::vector<std::string> args = {ANOMALENS_CLI_BINARY, "serve", "--data-dir", dir_ + "/data", "--port", "0",
                                      "--no-auth", "--access-log", dir_ + "/access.log"};
    args.insert(args.end(), extra.begin(), extra.end());
    const std::string stderr_path = dir_ + "/stderr.log";
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      const int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(err, 2);
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::smatch match;
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string text = ReadText(stderr_path);
      if (std::regex_search(text, match, std::regex("listening on http://[^:]+:(\\d+)"))) {
        port_ = std::stoi(match[1]);
        return;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "anomalens serve exited: " << text;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    FAIL() << "anomalens serve did not start: " << ReadText(stderr_path);
  }

  // The exit status once it ends (within `seconds`); -1 if it does not.
  int WaitForExit(int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  bool StderrSays(const std::string& text, int seconds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (ReadText(dir_ + "/stderr.log").find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) (void)RemoveTree(dir_);
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

TEST_F(ServeProcess, SigtermFinishesTheRequestInFlightThenExitsZero) {
  Start({});
  ASSERT_FALSE(HasFatalFailure());
  // A CreateProject whose body is half sent: in flight when SIGTERM comes.
  const std::string body = R"({"ProjectName": "drained"})";
  const int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  SendAll(fd, "POST /2020-11-20/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              "Connection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
              body.substr(0, 10));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // read by a worker, waiting for the rest
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  ASSERT_TRUE(StderrSays("draining", 10)) << ReadText(dir_ + "/stderr.log");
  // New connections are refused once the listening socket is closed...
  bool refused = false;
  for (int i = 0; i < 100 && !refused; ++i) {
    const int probe = Connect(port_);
    if (probe < 0) refused = true;
    else close(probe);
    if (!refused) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(refused) << "the server still accepts connections after SIGTERM";
  // ...while the one in flight keeps the process alive,
  EXPECT_EQ(waitpid(pid_, nullptr, WNOHANG), 0) << "the server exited with a request in flight";
  // and is answered in full once its body arrives.
  SendAll(fd, body.substr(10));
  const std::string response = ReadAll(fd);
  close(fd);
  EXPECT_EQ(StatusOf(response), 200) << response;
  EXPECT_NE(BodyOf(response).find("\"ProjectName\":\"drained\""), std::string::npos) << response;
  std::smatch id;
  ASSERT_TRUE(std::regex_search(response, id, std::regex("x-amzn-RequestId: ([0-9a-f-]+)\r\n"))) << response;
  EXPECT_EQ(WaitForExit(30), 0) << ReadText(dir_ + "/stderr.log");

  // The change committed, and the access log has the request under its id.
  auto store = Store::Open(dir_ + "/data");
  ASSERT_TRUE(store.ok());
  auto rows = (*store)->Query("SELECT name FROM projects");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0][0], "drained");
  const std::string log = ReadText(dir_ + "/access.log");
  EXPECT_NE(log.find("\"request_id\":\"" + id[1].str() + "\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"operation\":\"CreateProject\""), std::string::npos) << log;
}

TEST_F(ServeProcess, OperatorEndpointsAnswerWithoutAuthAndReadyzFailsWhileDraining) {
  Start({"--drain-seconds", "3"});
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(StatusOf(Get(port_, "/healthz")), 200);
  const std::string ready = Get(port_, "/readyz");
  EXPECT_EQ(StatusOf(ready), 200) << ready;
  // A Lookout call, so the metrics have a request to count.
  EXPECT_EQ(StatusOf(Get(port_, "/2020-11-20/projects")), 200);
  const std::string metrics = Get(port_, "/metrics");
  ASSERT_EQ(StatusOf(metrics), 200) << metrics;
  testing::PromText parsed;
  std::string error;
  ASSERT_TRUE(testing::ParsePromText(BodyOf(metrics), &parsed, &error)) << error;
  EXPECT_EQ(parsed.Value("anomalens_http_requests_total", {{"operation", "ListProjects"}, {"code", "200"}}), 1);
  for (const char* family : {"lookoutvision_ProcessedImageCount_total", "lookoutvision_DetectedAnomalyCount_total",
                             "lookoutvision_InvalidImageCount_total", "lookoutvision_ErrorCount_total",
                             "lookoutvision_SuccessfulRequestCount_total", "lookoutvision_Time_seconds",
                             "anomalens_training_queue_length", "anomalens_training_jobs_total"}) {
    EXPECT_TRUE(parsed.families.count(family)) << family;
  }
  EXPECT_EQ(parsed.Value("anomalens_training_queue_length"), 0);

  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  ASSERT_TRUE(StderrSays("draining", 10));
  // During the drain delay: not ready, still alive, still serving.
  const std::string draining = Get(port_, "/readyz");
  EXPECT_EQ(StatusOf(draining), 503) << draining;
  EXPECT_NE(BodyOf(draining).find("draining"), std::string::npos) << draining;
  EXPECT_EQ(StatusOf(Get(port_, "/healthz")), 200);
  EXPECT_EQ(StatusOf(Get(port_, "/2020-11-20/projects")), 200);
  EXPECT_EQ(WaitForExit(30), 0) << ReadText(dir_ + "/stderr.log");
}

}  // namespace
}  // namespace anomalens
