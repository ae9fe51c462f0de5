// ByteSpan: a read-only view of bytes owned by the caller (C++17 has no std::span).
#ifndef ANOMALENS_CORE_BASE_BYTE_SPAN_H_
#define ANOMALENS_CORE_BASE_BYTE_SPAN_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace anomalens {

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;

  ByteSpan() = default;
  ByteSpan(const uint8_t* d, size_t n) : data(d), size(n) {}
  ByteSpan(const std::vector<uint8_t>& v) : data(v.data()), size(v.size()) {}  // NOLINT
  ByteSpan(const std::string& s)  // NOLINT
      : data(reinterpret_cast<const uint8_t*>(s.data())), size(s.size()) {}
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_BYTE_SPAN_H_
