#include "core/image/zlib_compress.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>

namespace anomalens {
namespace {

constexpr int kHashSize = 16384;  // stbiw__ZHASH
constexpr int kMaxMatch = 258;

// stbiw__zhash: the bucket of the 3 bytes at `p` (before the mask).
uint32_t Hash3(const uint8_t* p) {
  uint32_t hash = p[0] + (p[1] << 8) + (p[2] << 16);
  hash ^= hash << 3;
  hash += hash >> 5;
  hash ^= hash << 4;
  hash += hash >> 17;
  hash ^= hash << 25;
  hash += hash >> 6;
  return hash;
}

// stbiw__zlib_countm: how many bytes from a and b agree, at most
// min(limit, 258); 8 at a time, the word that differs byte by byte.
int CountMatch(const uint8_t* a, const uint8_t* b, int limit) {
  const int n = std::min(limit, kMaxMatch);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (x != y) break;
  }
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

int ReverseBits(int code, int bits) {
  int reversed = 0;
  while (bits--) reversed = (reversed << 1) | (code & 1), code >>= 1;
  return reversed;
}

// Deflate's fixed Huffman codes for symbols 0..287, bit-reversed for the
// LSB-first stream (stbiw__zlib_huff).
struct FixedCodes {
  uint16_t code[288];
  uint8_t bits[288];
  FixedCodes() {
    for (int n = 0; n < 288; ++n) {
      const int b = n <= 143 ? 8 : n <= 255 ? 9 : n <= 279 ? 7 : 8;
      const int c = n <= 143 ? 0x30 + n : n <= 255 ? 0x190 + n - 144 : n <= 279 ? n - 256 : 0xc0 + n - 280;
      code[n] = static_cast<uint16_t>(ReverseBits(c, b));
      bits[n] = static_cast<uint8_t>(b);
    }
  }
};

// Deflate's bit stream, least significant bit first; the last byte padded
// with zero bits, as stb pads it.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>* out) : out_(out) {}
  void Add(uint32_t code, int bits) {
    buffer_ |= static_cast<uint64_t>(code) << count_;
    count_ += bits;
    if (count_ >= 32) {
      for (int k = 0; k < 4; ++k) out_->push_back(static_cast<uint8_t>(buffer_ >> (8 * k)));
      buffer_ >>= 32;
      count_ -= 32;
    }
  }
  void Finish() {
    for (; count_ > 0; count_ -= 8) out_->push_back(static_cast<uint8_t>(buffer_)), buffer_ >>= 8;
    count_ = 0;
  }

 private:
  std::vector<uint8_t>* out_;
  uint64_t buffer_ = 0;
  int count_ = 0;
};

}  // namespace

std::vector<uint8_t> StbZlibCompress(const uint8_t* data, size_t size, int quality) {
  static const unsigned short kLengthBase[] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23,  27,
                                               31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258, 259};
  static const unsigned char kLengthExtra[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                               2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
  static const unsigned short kDistanceBase[] = {1,    2,    3,    4,    5,    7,     9,     13,    17,    25,    33,
                                                 49,   65,   97,   129,  193,  257,   385,   513,   769,   1025,  1537,
                                                 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577, 32768};
  static const unsigned char kDistanceExtra[] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
  static const FixedCodes codes;
  std::vector<uint8_t> out;
  if (size > static_cast<size_t>(INT_MAX)) return out;
  const int len = static_cast<int>(size);
  if (quality < 5) quality = 5;
  out.reserve(size / 4 + 64);
  out.push_back(0x78);  // deflate, 32K window
  out.push_back(0x5e);  // FLEVEL 1
  BitWriter bits(&out);
  bits.Add(1, 1);  // BFINAL
  bits.Add(1, 2);  // fixed Huffman
  const auto huff = [&](int symbol) { bits.Add(codes.code[symbol], codes.bits[symbol]); };

  // stb's buckets: the positions pushed, oldest first; a full bucket (2 x
  // quality) keeps its newer half before the next push.
  const int capacity = 2 * quality;
  std::unique_ptr<int32_t[]> slots(new int32_t[static_cast<size_t>(kHashSize) * capacity]);
  std::vector<int32_t> counts(kHashSize, 0);
  int i = 0;
  while (i < len - 3) {
    int h = static_cast<int>(Hash3(data + i) & (kHashSize - 1));
    int best = 3, best_at = -1;
    int32_t* list = &slots[static_cast<size_t>(h) * capacity];
    int n = counts[h];
    const int limit = len - i;
    for (int j = 0; j < n; ++j) {
      const int at = list[j];
      if (at > i - 32768) {
        // d >= best needs the byte at best - 1 to agree (and best within reach).
        if (best > limit || data[at + best - 1] != data[i + best - 1]) continue;
        const int d = CountMatch(data + at, data + i, limit);
        if (d >= best) best = d, best_at = at;
      }
    }
    if (n == capacity) {
      std::memmove(list, list + quality, sizeof(int32_t) * quality);
      n = counts[h] = quality;
    }
    list[counts[h]++] = i;

    if (best_at >= 0) {  // lazy: a longer match at the next byte makes this one a literal
      h = static_cast<int>(Hash3(data + i + 1) & (kHashSize - 1));
      list = &slots[static_cast<size_t>(h) * capacity];
      n = counts[h];
      const int next_limit = len - i - 1;
      for (int j = 0; j < n; ++j) {
        const int at = list[j];
        if (at > i - 32767) {
          // e > best needs the byte at best to agree.
          if (best + 1 > next_limit || best + 1 > kMaxMatch || data[at + best] != data[i + 1 + best]) continue;
          if (CountMatch(data + at, data + i + 1, next_limit) > best) {
            best_at = -1;
            break;
          }
        }
      }
    }

    if (best_at >= 0) {
      const int d = i - best_at;
      int j = 0;
      while (best > kLengthBase[j + 1] - 1) ++j;
      huff(j + 257);
      if (kLengthExtra[j]) bits.Add(best - kLengthBase[j], kLengthExtra[j]);
      j = 0;
      while (d > kDistanceBase[j + 1] - 1) ++j;
      bits.Add(ReverseBits(j, 5), 5);
      if (kDistanceExtra[j]) bits.Add(d - kDistanceBase[j], kDistanceExtra[j]);
      i += best;
    } else {
      huff(data[i]);
      ++i;
    }
  }
  for (; i < len; ++i) huff(data[i]);
  huff(256);
  bits.Finish();

  // Stored blocks instead when compression did not pay.
  if (out.size() > static_cast<size_t>(len) + 2 + static_cast<size_t>((len + 32766) / 32767) * 5) {
    out.resize(2);
    for (int j = 0; j < len;) {
      const int block = std::min(len - j, 32767);
      out.push_back(len - j == block);
      out.push_back(static_cast<uint8_t>(block));
      out.push_back(static_cast<uint8_t>(block >> 8));
      out.push_back(static_cast<uint8_t>(~block));
      out.push_back(static_cast<uint8_t>(~block >> 8));
      out.insert(out.end(), data + j, data + j + block);
      j += block;
    }
  }
  // Adler-32 of the input.
  uint32_t s1 = 1, s2 = 0;
  for (int j = 0, block = len % 5552; j < len; j += block, block = 5552) {
    for (int k = 0; k < block; ++k) s1 += data[j + k], s2 += s1;
    s1 %= 65521, s2 %= 65521;
  }
  out.insert(out.end(), {static_cast<uint8_t>(s2 >> 8), static_cast<uint8_t>(s2), static_cast<uint8_t>(s1 >> 8),
                         static_cast<uint8_t>(s1)});
  return out;
}

}  // namespace anomalens
