// ByteReader: bounds-checked little-endian reads from untrusted bytes. Every
// read reports failure instead of reading past the end.
#ifndef ANOMALENS_CORE_BASE_BYTE_READER_H_
#define ANOMALENS_CORE_BASE_BYTE_READER_H_

#include <cstdint>
#include <cstring>
#include <string>

#include "core/base/byte_span.h"

namespace anomalens {

class ByteReader {
 public:
  explicit ByteReader(ByteSpan bytes) : bytes_(bytes) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size - pos_; }

  bool ReadU8(uint8_t* v) { return ReadLittleEndian(v); }
  bool ReadU16(uint16_t* v) { return ReadLittleEndian(v); }
  bool ReadU32(uint32_t* v) { return ReadLittleEndian(v); }
  bool ReadU64(uint64_t* v) { return ReadLittleEndian(v); }
  bool ReadF32(float* v) {
    uint32_t bits;
    if (!ReadU32(&bits)) return false;
    std::memcpy(v, &bits, 4);
    return true;
  }
  bool ReadString(size_t n, std::string* s) {
    if (n > remaining()) return false;
    s->assign(reinterpret_cast<const char*>(bytes_.data + pos_), n);
    pos_ += n;
    return true;
  }
  // Returns a view of the next n bytes and skips them.
  bool ReadSpan(size_t n, ByteSpan* span) {
    if (n > remaining()) return false;
    *span = ByteSpan(bytes_.data + pos_, n);
    pos_ += n;
    return true;
  }
  bool Seek(size_t pos) {
    if (pos > bytes_.size) return false;
    pos_ = pos;
    return true;
  }

 private:
  template <typename T>
  bool ReadLittleEndian(T* v) {
    if (sizeof(T) > remaining()) return false;
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) x |= static_cast<uint64_t>(bytes_.data[pos_ + i]) << (8 * i);
    *v = static_cast<T>(x);
    pos_ += sizeof(T);
    return true;
  }

  ByteSpan bytes_;
  size_t pos_ = 0;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_BYTE_READER_H_
