// StbZlibCompress: the zlib stream stb_image_write's stbi_zlib_compress makes
// (v1.16), byte for byte, in less time. The PNG encoders' bytes are a promise
// (the golden masks, wasm parity), so the parse is stb's to the letter: the
// same hash, the same buckets of 2 x quality positions halved when full, the
// same window tests, ties to the nearer match, the same lazy step and the same
// fixed Huffman codes. Only the work behind each decision is cheaper: matches
// are counted 8 bytes at a time, a candidate that cannot beat the best so far
// is rejected on one byte, and the buckets are one flat array instead of 16,384
// growing buffers. tests/zlib_compress_test.cc holds it to stb's own output.
//
//   std::vector<uint8_t> zlib = StbZlibCompress(rows.data(), rows.size(), 8);
#ifndef ANOMALENS_CORE_IMAGE_ZLIB_COMPRESS_H_
#define ANOMALENS_CORE_IMAGE_ZLIB_COMPRESS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace anomalens {

// Returns stbi_zlib_compress(data, size, &n, quality)'s n bytes (quality
// below 5 counts as 5, as stb's). Empty when `size` is over INT_MAX, which
// stb's int length cannot hold.
std::vector<uint8_t> StbZlibCompress(const uint8_t* data, size_t size, int quality);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_IMAGE_ZLIB_COMPRESS_H_
