#include "core/model/detector.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/features/dark_spot_features.h"
#include "core/features/feature_extractor.h"
#include "core/image/image_resize.h"
#include "core/model/calibration.h"
#include "core/model/dark_spot_channel.h"
#include "core/model/model_file.h"
#include "core/scoring/image_scorer.h"
#include "core/segmentation/map_refinement.h"
#include "core/segmentation/segmentation_response.h"

namespace anomalens {

Detector::Detector(Model model, std::shared_ptr<const Backbone> backbone)
    : model_(std::move(model)), backbone_(std::move(backbone)) {}

StatusOr<std::unique_ptr<Detector>> Detector::Create(ByteSpan model_file,
                                                     std::shared_ptr<const Backbone> backbone,
                                                     ParallelFor parallel, const BuildSearch& search,
                                                     JpegDecoder jpeg) {
  ASSIGN_OR_RETURN(Model model, ParseModelFile(model_file));
  return FromModel(std::move(model), std::move(backbone), std::move(parallel), search, std::move(jpeg));
}

StatusOr<std::unique_ptr<Detector>> Detector::FromModel(Model model, std::shared_ptr<const Backbone> backbone,
                                                        ParallelFor parallel, const BuildSearch& search,
                                                        JpegDecoder jpeg) {
  if (model.backbone_id != backbone->id() || model.backbone_checksum != backbone->checksum()) {
    return InvalidInput("model was trained on backbone '" + model.backbone_id + "' (checksum " +
                        std::to_string(model.backbone_checksum) + "), but the loaded backbone is '" + backbone->id() +
                        "' (checksum " + std::to_string(backbone->checksum()) + ")");
  }
  if (model.feature_dim != kPatchFeatureDim) {
    return InvalidInput("model has a feature size other than " + std::to_string(kPatchFeatureDim));
  }
  if (model.normal_model == NormalModelKind::kPerPosition
          ? model.position.empty() || model.position.params.size() != model.position.cells() * model.position.floats_per_cell()
          : model.bank_rows == 0) {
    return InvalidInput(std::string("model's ") + NormalModelKindName(model.normal_model) + " normal model is empty");
  }
  if (model.normal_model == NormalModelKind::kPerPosition) {
    const PositionModel& p = model.position;
    const bool stride4 = p.stride == 4 && p.features == kStride4Features;
    const bool stride8 = p.stride == 8 && p.features == kStride8Features;
    if (!stride4 && !stride8) {
      return InvalidInput("model's per-position normal model has " + std::to_string(p.features) +
                          " features a cell at stride " + std::to_string(p.stride) + "; this build knows " +
                          std::to_string(kStride4Features) + " at stride 4 and " + std::to_string(kStride8Features) +
                          " at stride 8");
    }
    const DarkSpotChannel& spots = model.dark_spots;
    if (!spots.empty() && (!spots.shared.empty() || !DarkSpotChannelFits(spots, p))) {
      return InvalidInput("model's dark-spot channel does not match its stride-4 per-position model");
    }
  } else if (!model.dark_spots.empty() && !SharedDarkSpotChannelFits(model.dark_spots)) {
    return InvalidInput("model's shared-bank dark-spot channel is malformed (it needs 1 to " +
                        std::to_string(kMaxSharedDarkSpotRows) + " finite rows of its features and nothing else)");
  }
  std::unique_ptr<Detector> detector(new Detector(std::move(model), std::move(backbone)));
  detector->jpeg_ = std::move(jpeg);
  detector->parallel_ = parallel;
  const Model& m = detector->model_;
  const int dim = m.feature_dim;
  ASSIGN_OR_RETURN(detector->index_, BuildNearestNeighborSearch(search, m.bank.data(), m.bank_rows, dim, parallel));
  ASSIGN_OR_RETURN(detector->anomaly_index_,
                   BuildNearestNeighborSearch(search, m.anomaly_bank.data(), m.anomaly_bank_rows, dim, parallel));
  ASSIGN_OR_RETURN(detector->clean_index_,
                   BuildNearestNeighborSearch(search, m.segmentation.clean_bank.data(),
                                              m.segmentation.clean_bank.size() / dim, dim, parallel));
  if (!m.dark_spots.shared.empty()) {
    ASSIGN_OR_RETURN(detector->spot_index_,
                     BuildNearestNeighborSearch(search, m.dark_spots.shared.data(), m.dark_spots.shared_rows(),
                                                m.dark_spots.features(), parallel));
  }
  return detector;
}

namespace {

// A working scale for a message: "2", or "1.75" (two decimals at most).
std::string ScaleText(double scale) {
  const long hundredths = std::lround(scale * 100);
  std::string text = std::to_string(hundredths / 100);
  if (hundredths % 100 != 0) {
    text += "." + std::to_string(hundredths % 100 / 10);
    if (hundredths % 10 != 0) text += std::to_string(hundredths % 10);
  }
  return text;
}

}  // namespace

StatusOr<DetectAnomalyResult> Detector::Detect(ByteSpan image_bytes, std::string_view content_type) const {
  // Only a dark-spot channel reads the decoded pixels once the working image
  // is made; without one, a decoder that resizes as it decodes can skip them.
  ASSIGN_OR_RETURN(DecodedImage image, DecodeAt(image_bytes, content_type, !model_.dark_spots.empty()));
  ASSIGN_OR_RETURN(Analysis analysis, Analyze(image, /*full_map=*/false));
  return analysis.result;
}

double Detector::DecodeFraction() const {
  double fraction = model_.scale;
  if (!model_.dark_spots.empty()) fraction = std::max(fraction, DarkSpotScale(model_.scale));
  return std::min(1.0, fraction);
}

StatusOr<DecodedImage> Detector::Decode(ByteSpan image_bytes, std::string_view content_type) const {
  return DecodeAt(image_bytes, content_type, /*pixels_too=*/true);
}

StatusOr<DecodedImage> Detector::DecodeAt(ByteSpan image_bytes, std::string_view content_type,
                                          bool pixels_too) const {
  // The working size, for a decoder that resizes the rows as it makes them.
  const ResizeTarget working = [this, pixels_too](int width, int height) {
    ResizeRequest request;
    const WorkingGeometry geometry = PlanGeometry({width, height}, model_.scale, MobileNetV2::kInputMultiple);
    // No resize while decoding when the working size is the image's own or
    // larger (an upsampled model): feature extraction enlarges it.
    if (geometry.content.width >= width && geometry.content.height >= height) return request;
    request.width = geometry.content.width;
    request.height = geometry.content.height;
    request.pixels_too = pixels_too;
    return request;
  };
  return DecodeImageAtLeast(image_bytes, content_type, DecodeFraction(), jpeg_, ImageLimits{}, working);
}

StatusOr<DetectAnomalyResult> Detector::DetectImage(const RgbImage& image) const {
  ASSIGN_OR_RETURN(Analysis analysis, Analyze(image, /*full_map=*/false));
  return analysis.result;
}

StatusOr<Detector::Analysis> Detector::Analyze(const RgbImage& image, bool full_map) const {
  return AnalyzeAt(image, {image.width, image.height}, full_map);
}

StatusOr<Detector::Analysis> Detector::Analyze(const DecodedImage& image, bool full_map) const {
  return AnalyzeAt(image.pixels, {image.width, image.height}, full_map,
                   image.resized.pixels.empty() ? nullptr : &image.resized);
}

StatusOr<Detector::Analysis> Detector::AnalyzeAt(const RgbImage& image, Size original, bool full_map,
                                                 const RgbImage* resized) const {
  const WorkingGeometry geometry = PlanGeometry(original, model_.scale, MobileNetV2::kInputMultiple);
  // Checked before any working-size buffer exists: only a model that
  // upsamples can exceed it (the decoder caps the images themselves).
  if (static_cast<long long>(geometry.content.width) * geometry.content.height > kMaxDetectWorkingPixels) {
    const int side = static_cast<int>(4096 / model_.scale);
    static_assert(kMaxDetectWorkingPixels == 4096LL * 4096LL, "side");
    return InvalidInput("image is " + std::to_string(original.width) + "x" + std::to_string(original.height) +
                        " px, and this model analyses images enlarged " + ScaleText(model_.scale) +
                        " times (" + std::to_string(geometry.content.width) + "x" +
                        std::to_string(geometry.content.height) + " working px); at most " +
                        std::to_string(kMaxDetectWorkingPixels) + " working px, about " + std::to_string(side) + "x" +
                        std::to_string(side) + " px images: scale the image down first");
  }
  const bool per_position = model_.normal_model == NormalModelKind::kPerPosition;
  // A stride-4 per-position model scores the stride-4 grid; segmentation's
  // class memory stays on the stride-8 grid.
  PatchGrid fine;
  const bool stride4 = per_position && model_.position.stride == 4;
  const DefectHead& head = model_.segmentation.head;
  const bool fine_head = !per_position && head.dim() == kFineDefectHeadInputs;
  const SegmentationModel& seg = model_.segmentation;
  // The image at the working size: the decoder's, made row by row as it
  // decoded, or resized here on the platform's threads (the features' own
  // resize is the same call, so the same pixels); a map refined with the
  // image uses it again as the guide.
  RgbImage working_storage;
  const bool refine = seg.enabled() && seg.refinement.enabled();
  const bool resize = image.width != geometry.content.width || image.height != geometry.content.height;
  const bool prepared = resize && resized != nullptr && resized->width == geometry.content.width &&
                        resized->height == geometry.content.height;
  if (resize && !prepared) {
    working_storage = ResizeImage(image, geometry.content.width, geometry.content.height, parallel_);
  }
  const RgbImage& working = prepared ? *resized : resize ? working_storage : image;
  ASSIGN_OR_RETURN(PatchGrid grid, ExtractFeatures(*backbone_, working, geometry, model_.layer_scales,
                                                   model_.config.tiling, stride4 || fine_head ? &fine : nullptr));
  ScoredImage scored;
  if (per_position) {
    const PositionModel& p = model_.position;
    const PatchGrid& scored_grid = stride4 ? fine : grid;
    if (scored_grid.width != p.grid_width || scored_grid.height != p.grid_height) {
      return InvalidInput("this model compares each place in the image with the same place in its training images, "
                          "so it analyses images of its training size (" + std::to_string(model_.stats.image_width) +
                          "x" + std::to_string(model_.stats.image_height) + " px); got " +
                          std::to_string(original.width) + "x" + std::to_string(original.height));
    }
    const int w = scored_grid.width, h = scored_grid.height;
    const std::vector<float> cells = PositionScores(p, scored_grid);
    scored = ScoreCells(cells, w, h, geometry, model_.config.smoothing_sigma, parallel_);
    // The dark-spot channel joins the image score, and its cells the map.
    const DarkSpotChannel& spots = model_.dark_spots;
    if (!spots.empty()) {
      const std::vector<float> spot_cells = DarkSpotCellScores(spots, image, geometry);
      const double score = FuseImageScores(spots, scored.score, DarkSpotImageScore(spot_cells, w, h, geometry));
      scored = ScoreCells(MeanCellScores(spots, cells, spot_cells), w, h, geometry, model_.config.smoothing_sigma,
                          parallel_);
      scored.score = score;
    }
  } else {
    ScoreOptions options;
    if (!full_map) options.clean_map_from = model_.threshold;  // only anomalous images are segmented
    options.parallel = parallel_;
    scored = ScorePatchGrid(grid, *index_, *anomaly_index_, geometry, model_.config.smoothing_sigma,
                            clean_index_.get(), options);
    // The position-free dark-spot channel joins the image score and the map.
    const DarkSpotChannel& spots = model_.dark_spots;
    if (spot_index_) {
      int w = 0, h = 0;
      const std::vector<float> spot_cells = SharedDarkSpotCellScores(spots, *spot_index_, image, geometry, &w, &h);
      const ScoredImage spot = ScoreCells(spot_cells, w, h, geometry, kDarkSpotSmoothingSigma, parallel_);
      scored.score = FuseImageScores(spots, scored.score, spot.score);
      FuseMaps(spots, spot.map, &scored.map);
    }
  }
  Analysis analysis;
  analysis.result.score = scored.score;
  analysis.result.is_anomalous = scored.score >= model_.threshold;
  analysis.result.confidence = Confidence(scored.score, model_.threshold, model_.confidence_scale);
  // A segmentation model's map is the one its defect pixels are cut from.
  analysis.map = scored.clean_map.values.empty() ? std::move(scored.map) : std::move(scored.clean_map);
  // The pixel rule was chosen on maps gated by the defect head and refined
  // with the image; the image's score and decision stay on the plain map.
  // Only a map that will be segmented (or evaluated) needs them.
  if (seg.enabled() && (analysis.result.is_anomalous || full_map)) {
    if (head.enabled() && !per_position) {
      const PatchGrid& head_grid = fine_head ? fine : grid;
      GateByDefectProbabilities(CellDefectProbabilities(head, grid, fine_head ? &fine : nullptr,
                                                        scored.normal_distances, scored.anomaly_distances,
                                                        scored.clean_distances, parallel_),
                                head_grid.width, head_grid.height, model_.config.smoothing_sigma, &analysis.map,
                                parallel_);
    }
    if (refine) RefineMap(seg.refinement, WorkingGuide(working, geometry, parallel_), &analysis.map, parallel_);
  }
  if (seg.enabled()) {
    analysis.segmentation =
        analysis.result.is_anomalous
            ? SegmentAnomalies(analysis.map.ToOriginal(parallel_), grid, geometry, seg, parallel_)
            : BackgroundOnly(original.width, original.height, seg.classes.size());
    analysis.result.anomalies = AnomalyList(analysis.segmentation, seg.classes);
    ASSIGN_OR_RETURN(analysis.result.anomaly_mask_png, EncodeAnomalyMask(analysis.segmentation, seg.classes, parallel_));
  }
  return analysis;
}

}  // namespace anomalens
