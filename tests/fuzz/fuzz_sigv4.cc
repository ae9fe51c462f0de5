// The SigV4 verifier: every request from the network passes through it first.
// Input: http_text.h. The configured key is the conformance suite's, and the
// clock reads 2026-01-01T00:00:00Z, the date the seed requests were signed
// at (tests/fuzz/make_seeds.py), so mutations of valid signatures reach the
// final comparison.
#include <cstddef>
#include <cstdint>

#include "native/server/sigv4.h"
#include "tests/fuzz/http_text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace anomalens;
  static const Credentials credentials{{{"AKIDANOMALENSTEST", "anomalens/test+secret"}}};
  const HttpRequest http = fuzz::ParseHttpText(data, size);
  const size_t q = http.target.find('?');
  const SigV4Request request{http.method, http.target.substr(0, q),
                             q == std::string::npos ? "" : http.target.substr(q + 1), http.headers, http.body};
  std::string key;
  const Status verified = VerifySigV4(request, credentials, 1767225600, &key);
  if (verified.ok() && key != "AKIDANOMALENSTEST") __builtin_trap();
  if (!verified.ok() && verified.message().empty()) __builtin_trap();  // a refusal says why
  return 0;
}
