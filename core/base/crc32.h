// CRC-32 (IEEE 802.3, the polynomial zlib and PNG use): guards the weights and
// model files against truncation and bit rot.
#ifndef ANOMALENS_CORE_BASE_CRC32_H_
#define ANOMALENS_CORE_BASE_CRC32_H_

#include <cstddef>
#include <cstdint>

namespace anomalens {

// Returns the CRC-32 of `size` bytes, continuing from `crc` (0 to start).
uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_BASE_CRC32_H_
