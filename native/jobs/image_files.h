// Images and label masks read from files with Lookout's limits, for the jobs
// the CLI and the server run. Errors name the file (and the manifest line).
#ifndef ANOMALENS_NATIVE_JOBS_IMAGE_FILES_H_
#define ANOMALENS_NATIVE_JOBS_IMAGE_FILES_H_

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/class_mask.h"
#include "core/lookout/manifest.h"
#include "core/model/detector.h"

namespace anomalens {

// Reads and decodes an image file with Lookout's limits at full size; errors
// name the file. A JPEG goes to `jpeg` when set (the engine's decoder:
// Backend::jpeg), else to stb.
StatusOr<RgbImage> LoadImageFile(const std::string& path, const std::string& content_type = "",
                                 const JpegDecoder& jpeg = {});
// The same through the detector's decoder (Detector::Decode), which may give
// fewer pixels than the file has (DecodedImage).
StatusOr<DecodedImage> LoadImageFileFor(const Detector& detector, const std::string& path,
                                        const std::string& content_type = "");

// Reads an entry's mask file and reads it through its colour map into
// `classes`; errors name the manifest line and the mask file.
StatusOr<ClassMask> LoadClassMask(const ManifestEntry& entry, Size image_size,
                                  const std::vector<AnomalyClass>& classes);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_JOBS_IMAGE_FILES_H_
