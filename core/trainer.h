// Trainer: builds a Model from normal images (and labelled anomalies, which
// calibrate the threshold).
//
//   Trainer trainer(backbone, ModelConfig{});
//   for (auto& [image, label] : dataset) RETURN_IF_ERROR(trainer.AddImage(image, label));
//   ASSIGN_OR_RETURN(Model model, trainer.Finish(hooks));
//
// Images are reduced to patch features as they are added, so the decoded
// pixels need not be kept.
#ifndef ANOMALENS_CORE_TRAINER_H_
#define ANOMALENS_CORE_TRAINER_H_

#include <memory>
#include <vector>

#include "core/hooks.h"
#include "core/image.h"
#include "core/manifest.h"
#include "core/mobilenet_v2.h"
#include "core/model.h"
#include "core/patch_features.h"
#include "core/status.h"

namespace anomalens {

class Trainer {
 public:
  Trainer(std::shared_ptr<const MobileNetV2> backbone, ModelConfig config);

  // Extracts the image's features. The first image fixes the working size.
  Status AddImage(const RgbImage& image, ImageLabel label);

  // Builds the memory bank and calibrates the threshold. Needs at least two
  // normal images (one to score while the others form the bank).
  StatusOr<Model> Finish(const Hooks& hooks = {});

  int normal_images() const { return static_cast<int>(normal_.size()); }
  int anomaly_images() const { return static_cast<int>(anomaly_.size()); }

 private:
  Status CheckConfig() const;

  std::shared_ptr<const MobileNetV2> backbone_;
  ModelConfig config_;
  Size working_{};
  int image_width_ = 0, image_height_ = 0;
  // Unscaled patch features (layer scales are known only once all normals are in).
  std::vector<PatchGrid> normal_;
  std::vector<PatchGrid> anomaly_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_TRAINER_H_
