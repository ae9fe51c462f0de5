// anomalens service-model and anomalens sdk-setup: the Lookout for Vision
// service model, written from the server's own table (service_model.h) in
// botocore's layout, for SDKs that no longer bundle it (current boto3, the
// AWS CLI v1).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "native/cli/command_line.h"
#include "native/cli/commands.h"
#include "native/jobs/file_io.h"
#include "native/server/service_model.h"

namespace anomalens {
namespace {

constexpr const char* kServiceModelUsage = R"(usage:
  anomalens service-model --output DIR

Writes the Lookout for Vision service model that `anomalens serve` answers, in
botocore's layout:
  DIR/lookoutvision/2020-11-20/service-2.json
  DIR/lookoutvision/2020-11-20/paginators-1.json
Point botocore, boto3 or the AWS CLI at it with AWS_DATA_PATH=DIR, or use
`anomalens sdk-setup` to install it where they look by default.
Exit codes: 0 ok, 2 bad usage, 1 other failures.
)";

constexpr const char* kSdkSetupUsage = R"(usage:
  anomalens sdk-setup [--dir DIR]

Installs the Lookout for Vision service model where botocore (boto3) and the
AWS CLI look for models: ~/.aws/models by default, or DIR (then set
AWS_DATA_PATH=DIR). Running it again changes nothing when the model is
current. Prints what it did and how to undo it.
Exit codes: 0 ok, 2 bad usage, 1 other failures.
)";

constexpr const char* kModelFolder = "lookoutvision/2020-11-20";

struct ModelFile {
  std::string name;
  std::string text;
};

std::vector<ModelFile> ModelFiles() {
  const ServiceModel& model = LookoutServiceModel();
  return {{"service-2.json", ServiceModelJson(model).dump(2) + "\n"},
          {"paginators-1.json", PaginatorsJson(model).dump(2) + "\n"}};
}

// Writes the files under DIR/lookoutvision/2020-11-20; `changed` counts the
// files whose bytes differed (0: already current).
Status WriteModel(const std::string& dir, int* changed) {
  const std::string folder = JoinPath(dir, kModelFolder);
  RETURN_IF_ERROR(MakeDirectories(folder));
  *changed = 0;
  for (const ModelFile& file : ModelFiles()) {
    const std::string path = JoinPath(folder, file.name);
    if (IsRegularFile(path)) {
      StatusOr<std::vector<uint8_t>> old = ReadFile(path, 64 << 20);
      if (old.ok() && std::string(old->begin(), old->end()) == file.text) continue;
    }
    RETURN_IF_ERROR(WriteFileAtomic(path, ByteSpan(reinterpret_cast<const uint8_t*>(file.text.data()),
                                                   file.text.size())));
    ++*changed;
  }
  return Status::Ok();
}

}  // namespace

int RunServiceModel(int argc, char** argv) {
  StatusOr<CommandLine> cl = ParseCommandLine(argc, argv, 2, {{"output", true}});
  if (!cl.ok()) {
    std::fprintf(stderr, "anomalens service-model: %s\n\n%s", cl.status().message().c_str(), kServiceModelUsage);
    return kExitBadInput;
  }
  if (cl->Has("help")) {
    std::fputs(kServiceModelUsage, stdout);
    return kExitOk;
  }
  if (!cl->Has("output") || !cl->positional.empty()) {
    std::fprintf(stderr, "anomalens service-model: give --output DIR and nothing else\n\n%s", kServiceModelUsage);
    return kExitBadInput;
  }
  const std::string dir = cl->Get("output");
  int changed = 0;
  const Status written = WriteModel(dir, &changed);
  if (!written.ok()) return ReportError("service-model", written);
  std::printf("%s\n%s\n", JoinPath(JoinPath(dir, kModelFolder), "service-2.json").c_str(),
              JoinPath(JoinPath(dir, kModelFolder), "paginators-1.json").c_str());
  return kExitOk;
}

int RunSdkSetup(int argc, char** argv) {
  StatusOr<CommandLine> cl = ParseCommandLine(argc, argv, 2, {{"dir", true}});
  if (!cl.ok()) {
    std::fprintf(stderr, "anomalens sdk-setup: %s\n\n%s", cl.status().message().c_str(), kSdkSetupUsage);
    return kExitBadInput;
  }
  if (cl->Has("help")) {
    std::fputs(kSdkSetupUsage, stdout);
    return kExitOk;
  }
  if (!cl->positional.empty()) {
    std::fprintf(stderr, "anomalens sdk-setup: unexpected argument '%s'\n\n%s", cl->positional[0].c_str(),
                 kSdkSetupUsage);
    return kExitBadInput;
  }
  std::string dir = cl->Get("dir");
  const bool default_dir = dir.empty();
  if (default_dir) {
    const char* home = std::getenv("HOME");
    if (!home || !*home) {
      std::fprintf(stderr, "anomalens sdk-setup: HOME is not set; give --dir DIR\n");
      return kExitBadInput;
    }
    dir = JoinPath(JoinPath(home, ".aws"), "models");
  }
  int changed = 0;
  const Status written = WriteModel(dir, &changed);
  if (!written.ok()) return ReportError("sdk-setup", written);
  const std::string folder = JoinPath(dir, kModelFolder);
  if (changed == 0) {
    std::printf("sdk-setup: the Lookout for Vision service model in %s is already current; nothing changed\n",
                folder.c_str());
  } else {
    std::printf("sdk-setup: wrote the Lookout for Vision service model (%d file%s) to %s\n", changed,
                changed == 1 ? "" : "s", folder.c_str());
  }
  if (default_dir) {
    std::printf("  boto3/botocore and the AWS CLI read ~/.aws/models: nothing else to set\n");
  } else {
    std::printf("  point boto3/botocore and the AWS CLI at it:  export AWS_DATA_PATH=%s\n", dir.c_str());
  }
  std::printf("  try:  aws lookoutvision list-projects --endpoint-url http://127.0.0.1:8080\n");
  std::printf("  undo: rm -r %s\n", JoinPath(dir, "lookoutvision").c_str());
  return kExitOk;
}

}  // namespace anomalens
