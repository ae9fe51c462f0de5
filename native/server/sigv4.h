// AWS Signature Version 4: verifies the Authorization header real clients
// (botocore, the AWS CLI, the SDKs) send, against keys from an AWS-style INI
// credentials file.
//
//   ASSIGN_OR_RETURN(Credentials keys, LoadCredentialsFile("creds.ini"));
//   Status ok = VerifySigV4(request, keys, time(nullptr));  // !ok: AccessDeniedException
#ifndef ANOMALENS_NATIVE_SERVER_SIGV4_H_
#define ANOMALENS_NATIVE_SERVER_SIGV4_H_

#include <ctime>
#include <map>
#include <string>

#include "core/base/status.h"

namespace anomalens {

// What a request must be signed with: one of the keys, for this region.
struct Credentials {
  std::map<std::string, std::string> secrets;  // access key id -> secret access key
  // The region in the signature's scope must be this one (the server's
  // --region), as AWS rejects a request signed for another region. Empty: any.
  std::string region;
};

// Parses "[profile]" sections holding aws_access_key_id and
// aws_secret_access_key ('#' and ';' start comments). Every pair is accepted;
// a section with one half of a pair, or a file with no pair, is an error.
StatusOr<Credentials> ParseCredentialsIni(const std::string& text);
StatusOr<Credentials> LoadCredentialsFile(const std::string& path);

struct SigV4Request {
  std::string method;
  std::string raw_path;   // as sent, still percent-encoded
  std::string raw_query;  // as sent, without '?'
  std::map<std::string, std::string> headers;  // lowercase names; repeated headers joined by ','
  std::string body;
};

// How far a request's x-amz-date may be from the server's clock.
constexpr int kMaxClockSkewSeconds = 15 * 60;

// Ok when the request carries a valid AWS4-HMAC-SHA256 Authorization header
// signed with a configured key, for service "lookoutvision" in
// credentials.region (when set), dated within
// kMaxClockSkewSeconds of `now`. Otherwise kInvalidInput with the reason (the
// caller answers AccessDeniedException). Sets *access_key when non-null.
Status VerifySigV4(const SigV4Request& request, const Credentials& credentials, std::time_t now,
                   std::string* access_key = nullptr);

// The building blocks, exposed for tests.
std::string Sha256Hex(const std::string& data);
std::string CanonicalRequest(const SigV4Request& request, const std::string& signed_headers,
                             const std::string& payload_hash);
std::string SigV4Signature(const std::string& secret, const std::string& date, const std::string& region,
                           const std::string& service, const std::string& string_to_sign);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_SERVER_SIGV4_H_
