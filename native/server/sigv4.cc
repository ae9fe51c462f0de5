#include "native/server/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <utility>
#include <vector>

#include "native/jobs/file_io.h"

namespace anomalens {
namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string Hex(const unsigned char* data, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
        HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3986 unreserved characters stay; everything else is %XX (upper case).
std::string UriEncode(const std::string& s, bool keep_slash) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

std::string CollapseSpaces(const std::string& value) {
  std::string out;
  bool space = false;
  for (char c : Trim(value)) {
    if (c == ' ' || c == '\t') {
      if (!space) out += ' ';
      space = true;
    } else {
      out += c;
      space = false;
    }
  }
  return out;
}

// 20261126T123456Z -> seconds since the epoch; -1 when malformed.
std::time_t ParseAmzDate(const std::string& s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  for (size_t i = 0; i < 15; ++i)
    if (i != 8 && !std::isdigit(static_cast<unsigned char>(s[i]))) return -1;
  std::tm tm{};
  tm.tm_year = std::atoi(s.substr(0, 4).c_str()) - 1900;
  tm.tm_mon = std::atoi(s.substr(4, 2).c_str()) - 1;
  tm.tm_mday = std::atoi(s.substr(6, 2).c_str());
  tm.tm_hour = std::atoi(s.substr(9, 2).c_str());
  tm.tm_min = std::atoi(s.substr(11, 2).c_str());
  tm.tm_sec = std::atoi(s.substr(13, 2).c_str());
  return timegm(&tm);
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) parts.push_back(cur);
  return parts;
}

Status Denied(const std::string& why) { return InvalidInput(why); }

}  // namespace

StatusOr<Credentials> ParseCredentialsIni(const std::string& text) {
  Credentials creds;
  std::string section;
  std::map<std::string, std::pair<std::string, std::string>> pairs;  // section -> (id, secret)
  std::vector<std::string> order;
  int line_number = 0;
  for (const std::string& raw : Split(text, '\n')) {
    ++line_number;
    const std::string line = Trim(raw);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return InvalidInput("credentials line " + std::to_string(line_number) + ": bad section");
      section = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos) {
      return InvalidInput("credentials line " + std::to_string(line_number) + ": expected key = value");
    }
    const std::string key = Trim(line.substr(0, eq));
    const std::string value = Trim(line.substr(eq + 1));
    if (key == "aws_access_key_id") pairs[section].first = value;
    if (key == "aws_secret_access_key") pairs[section].second = value;
  }
  for (const auto& [name, pair] : pairs) {
    if (pair.first.empty() || pair.second.empty()) {
      return InvalidInput("credentials section [" + name + "] needs both aws_access_key_id and aws_secret_access_key");
    }
    creds.secrets[pair.first] = pair.second;
  }
  if (creds.secrets.empty()) return InvalidInput("credentials file holds no aws_access_key_id");
  return creds;
}

StatusOr<Credentials> LoadCredentialsFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, ReadFile(path, 1 << 20));
  auto creds = ParseCredentialsIni(std::string(bytes.begin(), bytes.end()));
  if (!creds.ok()) return Status(creds.status().code(), path + ": " + creds.status().message());
  return creds;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string CanonicalRequest(const SigV4Request& request, const std::string& signed_headers,
                             const std::string& payload_hash) {
  // botocore percent-encodes the path it sent once more (every service but S3).
  std::string path = request.raw_path.empty() ? "/" : request.raw_path;
  std::vector<std::pair<std::string, std::string>> query;
  if (!request.raw_query.empty()) {
    for (const std::string& part : Split(request.raw_query, '&')) {
      if (part.empty()) continue;
      const size_t eq = part.find('=');
      const std::string k = PercentDecode(part.substr(0, eq));
      const std::string v = eq == std::string::npos ? "" : PercentDecode(part.substr(eq + 1));
      query.emplace_back(UriEncode(k, false), UriEncode(v, false));
    }
  }
  std::sort(query.begin(), query.end());
  std::string canonical_query;
  for (const auto& [k, v] : query) canonical_query += (canonical_query.empty() ? "" : "&") + k + "=" + v;
  std::string headers;
  for (const std::string& name : Split(signed_headers, ';')) {
    const auto it = request.headers.find(name);
    headers += name + ":" + (it == request.headers.end() ? "" : CollapseSpaces(it->second)) + "\n";
  }
  return request.method + "\n" + UriEncode(path, true) + "\n" + canonical_query + "\n" + headers + "\n" +
         signed_headers + "\n" + payload_hash;
}

std::string SigV4Signature(const std::string& secret, const std::string& date, const std::string& region,
                           const std::string& service, const std::string& string_to_sign) {
  const std::string k_date = Hmac("AWS4" + secret, date);
  const std::string k_region = Hmac(k_date, region);
  const std::string k_service = Hmac(k_region, service);
  const std::string k_signing = Hmac(k_service, "aws4_request");
  const std::string sig = Hmac(k_signing, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

Status VerifySigV4(const SigV4Request& request, const Credentials& credentials, std::time_t now,
                   std::string* access_key) {
  const auto auth_it = request.headers.find("authorization");
  if (auth_it == request.headers.end()) return Denied("the request is not signed: no Authorization header");
  const std::string auth = Trim(auth_it->second);
  const std::string kAlgorithm = "AWS4-HMAC-SHA256";
  if (auth.compare(0, kAlgorithm.size(), kAlgorithm) != 0) {
    return Denied("only AWS Signature Version 4 (AWS4-HMAC-SHA256) is accepted");
  }
  std::map<std::string, std::string> fields;
  for (const std::string& part : Split(auth.substr(kAlgorithm.size()), ',')) {
    const std::string p = Trim(part);
    const size_t eq = p.find('=');
    if (eq != std::string::npos) fields[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (!fields.count("Credential") || !fields.count("SignedHeaders") || !fields.count("Signature")) {
    return Denied("the Authorization header needs Credential, SignedHeaders and Signature");
  }
  const std::vector<std::string> scope = Split(fields["Credential"], '/');
  if (scope.size() != 5 || scope[4] != "aws4_request") return Denied("malformed Credential in the Authorization header");
  const std::string& key_id = scope[0];
  const auto secret = credentials.secrets.find(key_id);
  if (secret == credentials.secrets.end()) return Denied("unknown access key id '" + key_id + "'");
  if (scope[3] != "lookoutvision") return Denied("the request is signed for service '" + scope[3] + "', not lookoutvision");
  if (!credentials.region.empty() && scope[2] != credentials.region) {
    return Denied("the request is signed for region '" + scope[2] + "', but this server answers for '" +
                  credentials.region + "' (its --region)");
  }
  const std::string signed_headers = fields["SignedHeaders"];
  const std::vector<std::string> signed_list = Split(signed_headers, ';');
  if (std::find(signed_list.begin(), signed_list.end(), "host") == signed_list.end()) {
    return Denied("the signature must cover the host header");
  }
  for (const std::string& h : signed_list) {
    if (!request.headers.count(h)) return Denied("signed header '" + h + "' is missing from the request");
  }
  const auto date_it = request.headers.find("x-amz-date");
  if (date_it == request.headers.end()) return Denied("the request has no X-Amz-Date header");
  const std::time_t signed_at = ParseAmzDate(date_it->second);
  if (signed_at < 0) return Denied("malformed X-Amz-Date '" + date_it->second + "'");
  if (std::llabs(static_cast<long long>(now - signed_at)) > kMaxClockSkewSeconds) {
    return Denied("signature expired: X-Amz-Date " + date_it->second +
                  " is more than 15 minutes from the server's time");
  }
  if (date_it->second.compare(0, 8, scope[1]) != 0) return Denied("the Credential date does not match X-Amz-Date");
  std::string payload_hash = Sha256Hex(request.body);
  const auto content_it = request.headers.find("x-amz-content-sha256");
  if (content_it != request.headers.end()) {
    if (content_it->second == "UNSIGNED-PAYLOAD") {
      payload_hash = content_it->second;
    } else if (content_it->second != payload_hash) {
      return Denied("X-Amz-Content-SHA256 does not match the body");
    }
  }
  const std::string canonical = CanonicalRequest(request, signed_headers, payload_hash);
  const std::string string_to_sign = kAlgorithm + "\n" + date_it->second + "\n" + scope[1] + "/" + scope[2] + "/" +
                                     scope[3] + "/aws4_request\n" + Sha256Hex(canonical);
  const std::string expected = SigV4Signature(secret->second, scope[1], scope[2], scope[3], string_to_sign);
  const std::string& given = fields["Signature"];
  if (given.size() != expected.size() || CRYPTO_memcmp(given.data(), expected.data(), given.size()) != 0) {
    return Denied("the request signature does not match: check the secret access key and signing method");
  }
  if (access_key) *access_key = key_id;
  return Status::Ok();
}

}  // namespace anomalens
