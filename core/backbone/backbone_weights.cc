#include "core/backbone/backbone_weights.h"

#include <cstring>

#include "core/base/byte_reader.h"
#include "core/base/crc32.h"

namespace anomalens {
namespace {

constexpr char kMagic[4] = {'A', 'N', 'W', 'B'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kMaxTensors = 4096;
constexpr uint8_t kMaxRank = 4;

Status Truncated(const char* what) {
  return DataLoss(std::string("backbone weights file is truncated while reading the ") + what);
}

}  // namespace

const WeightTensor* BackboneWeights::Find(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

StatusOr<BackboneWeights> ParseBackboneWeights(ByteSpan bytes) {
  if (bytes.size > kMaxBackboneWeightsBytes) {
    return InvalidInput("backbone weights file is " + std::to_string(bytes.size) +
                        " bytes; the limit is " + std::to_string(kMaxBackboneWeightsBytes));
  }
  if (bytes.size < 12 || std::memcmp(bytes.data, kMagic, 4) != 0) {
    return InvalidInput("not a backbone weights file (expected magic 'ANWB'); rebuild it with tools/convert-backbone.mjs");
  }
  const size_t body = bytes.size - 4;
  ByteReader tail(ByteSpan(bytes.data + body, 4));
  uint32_t stored_crc = 0;
  tail.ReadU32(&stored_crc);
  const uint32_t crc = Crc32(bytes.data, body);
  if (crc != stored_crc) return DataLoss("backbone weights file checksum mismatch: the file is corrupt or truncated");

  ByteReader r(ByteSpan(bytes.data, body));
  r.Seek(4);
  BackboneWeights weights;
  weights.checksum = crc;
  uint32_t version = 0;
  uint16_t id_len = 0;
  if (!r.ReadU32(&version)) return Truncated("version");
  if (version != kVersion) {
    return Unsupported("backbone weights file version " + std::to_string(version) +
                       "; this build reads version " + std::to_string(kVersion));
  }
  if (!r.ReadU16(&id_len) || !r.ReadString(id_len, &weights.id)) return Truncated("backbone id");
  uint32_t count = 0;
  if (!r.ReadU32(&count)) return Truncated("tensor count");
  if (count > kMaxTensors) return InvalidInput("backbone weights file lists " + std::to_string(count) + " tensors; the limit is " + std::to_string(kMaxTensors));

  struct Entry { std::string name; std::vector<uint32_t> dims; uint64_t offset; };
  std::vector<Entry> entries(count);
  for (Entry& e : entries) {
    uint16_t name_len = 0;
    uint8_t rank = 0;
    if (!r.ReadU16(&name_len) || !r.ReadString(name_len, &e.name) || !r.ReadU8(&rank)) return Truncated("tensor table");
    if (rank == 0 || rank > kMaxRank) return InvalidInput("tensor '" + e.name + "' has rank " + std::to_string(rank) + "; ranks 1 to 4 are supported");
    e.dims.resize(rank);
    for (uint32_t& d : e.dims) if (!r.ReadU32(&d)) return Truncated("tensor table");
    if (!r.ReadU64(&e.offset)) return Truncated("tensor table");
  }
  const size_t data_start = (r.position() + 15) / 16 * 16;
  if (data_start > body) return Truncated("data section");
  const size_t data_size = body - data_start;
  for (Entry& e : entries) {
    uint64_t elements = 1;
    for (uint32_t d : e.dims) {
      elements *= d;
      if (elements > data_size / 4) return DataLoss("tensor '" + e.name + "' is larger than the data section");
    }
    if (e.offset > data_size || elements * 4 > data_size - e.offset) {
      return DataLoss("tensor '" + e.name + "' lies outside the data section");
    }
    WeightTensor t;
    t.dims = e.dims;
    t.values.resize(elements);
    ByteReader values(ByteSpan(bytes.data + data_start + e.offset, elements * 4));
    for (float& v : t.values) values.ReadF32(&v);
    weights.tensors.emplace(e.name, std::move(t));
  }
  return weights;
}

}  // namespace anomalens
