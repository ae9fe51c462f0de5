#include "native/jobs/image_files.h"

#include "core/image/image_decode.h"
#include "native/jobs/file_io.h"

namespace anomalens {

StatusOr<RgbImage> LoadImageFile(const std::string& path, const std::string& content_type,
                                 const JpegDecoder& jpeg) {
  // Read a little past Lookout's 8 MB so the decoder's own limit message applies.
  const size_t cap = ImageLimits{}.max_bytes + 1;
  auto bytes = ReadFile(path, cap);
  if (!bytes.ok()) return bytes.status();
  // A fraction of 1: the decoder must give every pixel.
  auto image = DecodeImageAtLeast(*bytes, content_type, 1.0, jpeg);
  if (!image.ok()) return Status(image.status().code(), path + ": " + image.status().message());
  return std::move(image->pixels);
}

StatusOr<DecodedImage> LoadImageFileFor(const Detector& detector, const std::string& path,
                                        const std::string& content_type) {
  auto bytes = ReadFile(path, ImageLimits{}.max_bytes + 1);
  if (!bytes.ok()) return bytes.status();
  auto image = detector.Decode(*bytes, content_type);
  if (!image.ok()) return Status(image.status().code(), path + ": " + image.status().message());
  return image;
}

StatusOr<ClassMask> LoadClassMask(const ManifestEntry& entry, Size image_size,
                                  const std::vector<AnomalyClass>& classes) {
  const std::string where = "manifest line " + std::to_string(entry.line_number) + " (" + entry.source_ref +
                            "), mask " + entry.mask_path + ": ";
  auto bytes = ReadFile(entry.mask_path, ImageLimits{}.max_bytes);
  if (!bytes.ok()) return Status(bytes.status().code(), where + bytes.status().message());
  auto mask = DecodeClassMask(*bytes, image_size, entry.color_map, classes);
  if (!mask.ok()) return Status(mask.status().code(), where + mask.status().message());
  return mask;
}

}  // namespace anomalens
