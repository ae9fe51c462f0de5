// The model file: one self-contained, versioned binary.
//
//   offset 0   "ANLM", u32 version (4 for a model with a dark-spot channel,
//              else 3, so such files stay as before; version 1 files, without
//              the version-2 sections, and version 2 files, whose
//              per-position section has no stride and feature count, still
//              load)
//              u32 metadata length, metadata JSON (backbone id and checksum,
//              config, working size, layer scales, threshold, confidence
//              scale, threshold rule, training statistics)
//              zero padding to a multiple of 16
//              u32 feature dim
//              u64 rows, rows x dim float32: the memory bank of normal patches
//              u64 rows, rows x dim float32: the anomaly bank (may be 0 rows)
//   (v2)       u64 cells (0 unless per-position); when not 0: u32 grid
//              width, u32 grid height, (v3) u32 stride (4 or 8; v2: 8) and
//              u32 features a cell F (v2: 32), then cells x (F + F (F + 1) / 2
//              + 2) float32: the per-position model (position_model.h);
//              (v4) then u32 features a cell (4) and u32 shift of the
//              dark-spot channel, cells x (4 + 10 + 2) float32: its
//              Gaussians on the same grid (dark_spot_channel.h; its feature
//              scales and score fusion are in the metadata, "dark_spots")
//   (v7)       shared-bank models with a position-free dark-spot channel
//              (metadata "dark_spots" with "shared": true): u32 features a
//              row F, u64 rows, rows x F float32: its shared bank
//   (v2)       u64 rows, rows x dim float32: the class bank of segmentation
//              models with several classes (may be 0 rows), then rows x u16
//              class indices, zero-padded to a multiple of 4 bytes
//   (v2)       u64 rows, rows x dim float32: the clean bank of segmentation
//              models (may be 0 rows)
//   end - 4    u32 CRC-32 of every byte before it
//
// All integers and floats little-endian. See docs/model-file-format.md.
#ifndef ANOMALENS_CORE_MODEL_MODEL_FILE_H_
#define ANOMALENS_CORE_MODEL_MODEL_FILE_H_

#include <cstdint>
#include <vector>

#include "core/base/byte_span.h"
#include "core/base/status.h"
#include "core/model/model.h"

namespace anomalens {

constexpr uint32_t kModelFileVersion = 7;  // versions 1 to 6 are read too
// Limits checked before allocating: a model file from elsewhere is untrusted.
constexpr size_t kMaxModelMetadataBytes = 16u << 20;
constexpr size_t kMaxModelBankRows = 1u << 22;

// Returns the model file's bytes.
std::vector<uint8_t> SerializeModel(const Model& model);

// Parses and verifies a model file; a truncated, corrupt or foreign file is
// rejected with an error saying which.
StatusOr<Model> ParseModelFile(ByteSpan bytes);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_MODEL_FILE_H_
