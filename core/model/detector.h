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
#include "core/features/working_geometry.h"
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
  // `jpeg` (optional) decodes JPEGs on a platform's decoder that shrinks
  // while it decodes, to no less than this model's working size
  // (image_decode.h); empty, stb decodes at full size.
  static StatusOr<std::unique_ptr<Detector>> Create(ByteSpan model_file, std::shared_ptr<const Backbone> backbone,
                                                    ParallelFor parallel = {}, const BuildSearch& search = {},
                                                    JpegDecoder jpeg = {});
  // Same, from a model already in memory (training's output).
  static StatusOr<std::unique_ptr<Detector>> FromModel(Model model, std::shared_ptr<const Backbone> backbone,
                                                       ParallelFor parallel = {}, const BuildSearch& search = {},
                                                       JpegDecoder jpeg = {});

  // Decodes (with Lookout's limits and content-type check) and detects.
  StatusOr<DetectAnomalyResult> Detect(ByteSpan image_bytes, std::string_view content_type) const;
  // Decodes as Detect does: with the JpegDecoder, a JPEG at the smallest
  // size this model can analyse without losing pixels it uses, and with the
  // image at the working size when the decoder made it as it decoded.
  StatusOr<DecodedImage> Decode(ByteSpan image_bytes, std::string_view content_type) const;
  // The fraction of each side of an image this model's analysis reads: the
  // working scale, or more for a dark-spot channel.
  double DecodeFraction() const;
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
  // The same on Decode's output, whose pixels may be smaller than the file:
  // results (the mask, its size) are for the file's width x height.
  StatusOr<Analysis> Analyze(const DecodedImage& image, bool full_map = true) const;

  const Model& model() const { return model_; }

 private:
  Detector(Model model, std::shared_ptr<const Backbone> backbone);
  // Analyze on pixels that are the image of size `original`, or a smaller
  // decode of it (no smaller than the working size).
  // Decode, leaving DecodedImage::pixels without its pixels when the decoder
  // made the working image and `pixels_too` is false.
  StatusOr<DecodedImage> DecodeAt(ByteSpan image_bytes, std::string_view content_type, bool pixels_too) const;
  // `resized`, when not null, is `image` at the working size already (else
  // it is resized here).
  StatusOr<Analysis> AnalyzeAt(const RgbImage& image, Size original, bool full_map,
                               const RgbImage* resized = nullptr) const;

  Model model_;
  std::shared_ptr<const Backbone> backbone_;
  JpegDecoder jpeg_;
  ParallelFor parallel_;  // the platform's threads for the stages after the search
  std::unique_ptr<const NearestNeighborSearch> index_;
  std::unique_ptr<const NearestNeighborSearch> anomaly_index_;
  std::unique_ptr<const NearestNeighborSearch> clean_index_;  // segmentation models; may be empty
  // Shared-bank models with a dark-spot channel: the search over its rows.
  std::unique_ptr<const NearestNeighborSearch> spot_index_;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_DETECTOR_H_
