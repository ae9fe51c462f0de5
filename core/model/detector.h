// Detector: a loaded model, ready to answer DetectAnomalies.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Detector> detector, Detector::Create(model_bytes, backbone));
//   ASSIGN_OR_RETURN(DetectAnomalyResult result, detector->Detect(jpeg_bytes, "image/jpeg"));
//   std::string json = DetectAnomalyResultJson(result);
#ifndef ANOMALENS_CORE_MODEL_DETECTOR_H_
#define ANOMALENS_CORE_MODEL_DETECTOR_H_

#include <memory>
#include <string_view>

#include "core/backbone/backbone.h"
#include "core/backbone/mobilenet_v2.h"
#include "core/base/byte_span.h"
#include "core/base/parallel.h"
#include "core/base/status.h"
#include "core/image/image.h"
#include "core/image/image_decode.h"
#include "core/lookout/detect_result.h"
#include "core/model/model.h"
#include "core/scoring/image_scorer.h"
#include "core/scoring/nearest_neighbor_search.h"
#include "core/segmentation/segmentation.h"

namespace anomalens {

class Detector {
 public:
  // Parses a model file and checks it was trained on this backbone's weights.
  // `parallel` (optional) spreads the portable search's queries over the
  // platform's threads; `search` (optional) builds the nearest-neighbour
  // searches on a platform's engine instead (nearest_neighbor_search.h).
  static StatusOr<std::unique_ptr<Detector>> Create(ByteSpan model_file, std::shared_ptr<const Backbone> backbone,
                                                    ParallelFor parallel = {}, const BuildSearch& search = {});
  // Same, from a model already in memory (training's output).
  static StatusOr<std::unique_ptr<Detector>> FromModel(Model model, std::shared_ptr<const Backbone> backbone,
                                                       ParallelFor parallel = {}, const BuildSearch& search = {});

  // Decodes (with Lookout's limits and content-type check) and detects.
  StatusOr<DetectAnomalyResult> Detect(ByteSpan image_bytes, std::string_view content_type) const;
  // Detects on pixels already decoded (camera frames).
  StatusOr<DetectAnomalyResult> DetectImage(const RgbImage& image) const;

  // The result with the anomaly map behind it (for masks and pixel metrics).
  struct Analysis {
    DetectAnomalyResult result;
    // On the padded working grid; map.ToOriginal() for image pixels. For a
    // segmentation model, the map its defects are cut from (image_scorer.h).
    AnomalyMap map;
    // Segmentation models: the defect type of each original pixel (all
    // background when the image is not anomalous). Empty otherwise.
    Segmentation segmentation;
  };
  // With `full_map` false, `map` is only what the result needed: a
  // segmentation model skips its segmentation map for images it calls
  // normal, whose masks are all background anyway. Evaluation's pixel
  // metrics need every map and keep the default.
  StatusOr<Analysis> Analyze(const RgbImage& image, bool full_map = true) const;

  const Model& model() const { return model_; }

 private:
  Detector(Model model, std::shared_ptr<const Backbone> backbone);

  Model model_;
  std::shared_ptr<const Backbone> backbone_;
  std::unique_ptr<const NearestNeighborSearch> index_;
  std::unique_ptr<const NearestNeighborSearch> anomaly_index_;
  std::unique_ptr<const NearestNeighborSearch> clean_index_;  // segmentation models; may be empty
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_DETECTOR_H_
