// Base64 (RFC 4648, standard alphabet, padded): how Lookout's JSON carries
// AnomalyMask's PNG bytes.
#ifndef ANOMALENS_CORE_BASE_BASE64_H_
#define ANOMALENS_CORE_BASE_BASE64_H_

#include <cstdint>
#include <string>
#include <vector>

namespace anomalens {

std::string Base64Encode(const std::vector<uint8_t>& bytes);

// Decodes standard-alphabet base64 into `out`. Padding ('=') ends the data;
// line breaks are skipped. False, with `out` unspecified, at any other
// character outside the alphabet.
bool Base64Decode(const std::string& text, std::string* out);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_BASE64_H_
