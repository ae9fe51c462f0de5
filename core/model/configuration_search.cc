#include "core/model/configuration_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "core/lookout/metrics.h"
#include "core/scoring/position_model.h"

namespace anomalens {
namespace {

// Held-out ROCAUC of the labelled anomalies against the normal images; -1
// without labelled anomalies.
double LabelledRocAuc(const TrainingStats& stats) {
  if (stats.calibration_anomaly_scores.empty()) return -1;
  std::vector<ScoredLabel> scored;
  for (double s : stats.calibration_normal_scores) scored.push_back({s, false});
  for (double s : stats.calibration_anomaly_scores) scored.push_back({s, true});
  return RocAuc(scored);
}

CandidateFigures Describe(int short_side, const ModelConfig& variant) {
  CandidateFigures c;
  c.short_side = short_side;
  c.normal_model = NormalModelKindName(variant.normal_model);
  c.coarse_weight = variant.coarse_weight;
  c.dark_spots = variant.normal_model == NormalModelKind::kPerPosition ? variant.dark_spots : variant.shared_dark_spots;
  return c;
}

}  // namespace

double UpsampledScaleFor(Size size, int base_short_side) {
  const int shorter = std::min(size.width, size.height);
  if (shorter < kMinFinerScaleGain * base_short_side) return 0;
  const double pixels = static_cast<double>(size.width) * size.height;
  const double scale = std::min(kUpsampledScale, std::sqrt(static_cast<double>(kMaxUpsampledWorkingPixels) / pixels));
  return scale >= kMinUpsampledScale ? scale : 0;
}

bool UpsampledScaleFits(Size size, int base_short_side) { return UpsampledScaleFor(size, base_short_side) > 0; }

int UpsampledShortSide(Size size, int base_short_side) {
  const double scale = UpsampledScaleFor(size, base_short_side);
  if (scale <= 0) return 0;
  // Rounded down, so the working size stays within kMaxUpsampledWorkingPixels.
  return static_cast<int>(std::floor(scale * std::min(size.width, size.height) + 1e-9));
}

Status ConfigurationSearch::DropUpsampledScale() {
  // The pending extractions point into the trainers, which move below.
  RETURN_IF_ERROR(RunExtractions());
  scales_.erase(std::remove_if(scales_.begin(), scales_.end(), [](const Scale& s) { return s.upsampled; }),
                scales_.end());
  return Status::Ok();
}

Status ConfigurationSearch::RunExtractions() {
  if (pending_.empty()) return Status::Ok();
  // Longest first: the pool hands each thread a run of consecutive jobs and
  // lets it take the others' last ones when done, so the long ones start
  // first and the short ones fill in.
  std::stable_sort(pending_.begin(), pending_.end(), [](const PendingExtraction& a, const PendingExtraction& b) {
    return a.extraction.cost > b.extraction.cost;
  });
  std::vector<Status> results(pending_.size());
  std::vector<double> seconds(pending_.size(), 0);
  const double start = clock_ ? clock_() : 0;
  parallel_(pending_.size(), [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const double job_start = clock_ ? clock_() : 0;
      results[i] = pending_[i].extraction.run();
      if (clock_) seconds[i] = clock_() - job_start;
    }
  });
  if (clock_) {
    // Each scale's share of the wall time, by its jobs' own times.
    const double wall = clock_() - start;
    double total = 0;
    for (double t : seconds) total += t;
    for (size_t i = 0; i < pending_.size(); ++i)
      if (total > 0) scales_[pending_[i].scale].feature_seconds += wall * seconds[i] / total;
  }
  pending_.clear();
  pending_bytes_ = 0;
  // A failed extraction leaves its sample without features: the search
  // refuses to go on from there.
  for (const Status& r : results)
    if (!r.ok()) return failed_ = r;
  return Status::Ok();
}

ConfigurationSearch::ConfigurationSearch(std::shared_ptr<const Backbone> backbone, ModelConfig config,
                                         std::vector<AnomalyClass> classes, SearchPins pins)
    : backbone_(std::move(backbone)), config_(config), classes_(std::move(classes)), pins_(pins) {}

void ConfigurationSearch::ExpectNormalImages(int count) {
  expected_normals_ = count;
  for (Scale& s : scales_)
    s.trainer.ExpectNormalImages(s.upsampled ? std::min(count, s.max_normals) : count);
}

Status ConfigurationSearch::ExtendClasses(const std::vector<AnomalyClass>& classes) {
  // Classes make a segmentation model: no upsampled candidate (as when
  // they are known before the first image).
  RETURN_IF_ERROR(failed_);
  if (!classes.empty()) RETURN_IF_ERROR(DropUpsampledScale());
  for (Scale& s : scales_) RETURN_IF_ERROR(s.trainer.ExtendClasses(classes));
  classes_ = classes;
  return Status::Ok();
}

Status ConfigurationSearch::AddImage(const RgbImage& image, ImageLabel label, const ClassMask* mask) {
  RETURN_IF_ERROR(failed_);
  if (scales_.empty()) {
    // The features every candidate may need: stride-4 grids and the dark-spot
    // channel are kept unless an option rules them out.
    ModelConfig extract = config_;
    // Unpinned, the search tries the per-position model from
    // kMinSearchPositionImages normal images (below `auto`'s own minimum),
    // so its stride-4 grids are kept from there.
    if (!pins_.normal_model)
      extract.normal_model = expected_normals_ < 0 || expected_normals_ >= kMinSearchPositionImages
                                 ? NormalModelKind::kPerPosition
                                 : NormalModelKind::kAuto;
    // The dark-spot channel only from kMinPositionImages (see VariantsFor).
    if (!pins_.dark_spots) extract.dark_spots = expected_normals_ < 0 || expected_normals_ >= kMinPositionImages;
    // The shared-bank models' position-free channel: classification models
    // only (a segmentation model's map has its own head and refinement).
    extract.shared_dark_spots = pins_.shared_dark_spots ? config_.shared_dark_spots : SharedDarkSpotsOffered();
    std::vector<int> sides = {config_.short_side};
    const int native_side = std::min(image.width, image.height);
    if (!pins_.short_side && native_side >= kMinFinerScaleGain * config_.short_side)
      sides.push_back(std::min(2 * config_.short_side, native_side));
    for (int side : sides) {
      extract.short_side = side;
      Scale scale{side, Trainer(backbone_, extract, classes_), 0, extract};
      if (expected_normals_ >= 0) scale.trainer.ExpectNormalImages(expected_normals_);
      scale.trainer.SetSearch(search_);
      scale.trainer.SetParallel(parallel_);
      scale.trainer.DeferExtraction();
      scales_.push_back(std::move(scale));
    }
    first_size_ = {image.width, image.height};
    // Its candidates are shared banks without the position-free channel: not
    // offered when an option pins another normal model or pins the channel on.
    const bool shared_bank_allowed =
        !(pins_.normal_model && config_.normal_model == NormalModelKind::kPerPosition) &&
        !(pins_.shared_dark_spots && config_.shared_dark_spots);
    if (!pins_.short_side && classes_.empty() && shared_bank_allowed &&
        UpsampledScaleFits({image.width, image.height}, config_.short_side)) {
      // A shared bank alone: no stride-4 grids or dark-spot features at
      // four times the pixels.
      ModelConfig up = config_;
      up.short_side = UpsampledShortSide({image.width, image.height}, config_.short_side);
      up.max_scale = UpsampledScaleFor({image.width, image.height}, config_.short_side);
      up.normal_model = NormalModelKind::kSharedBank;
      up.dark_spots = false;
      up.shared_dark_spots = false;
      // Nor the defect head's stride-4 grids: classes, which a head needs,
      // drop this scale (ExtendClasses). The winner's configuration still
      // names the head (VariantsFor), as the model file did before.
      up.defect_head = false;
      Scale scale{up.short_side, Trainer(backbone_, up, classes_), 0, up, /*upsampled=*/true};
      scale.max_normals = kMaxUpsampledNormalImages;
      if (expected_normals_ >= 0) scale.trainer.ExpectNormalImages(std::min(expected_normals_, scale.max_normals));
      scale.trainer.SetSearch(search_);
      scale.trainer.SetParallel(parallel_);
      scale.trainer.DeferExtraction();
      scales_.push_back(std::move(scale));
    }
  }
  if (!(image.width == first_size_.width && image.height == first_size_.height)) RETURN_IF_ERROR(DropUpsampledScale());
  for (size_t k = 0; k < scales_.size(); ++k) {
    Scale& s = scales_[k];
    // The upsampled scale's subsample: the first kMaxUpsampledNormalImages
    // normal images (and as many labelled anomalies), so its features stay
    // bounded on a set of any size; it is compared on the first
    // kSearchNormalImages as every scale is, and fitted on the subsample.
    if (s.upsampled && (label == ImageLabel::kNormal ? s.trainer.normal_images() >= s.max_normals
                                                     : s.trainer.anomaly_images() >= s.max_normals))
      continue;
    if (k > 0 && !pins_.shared_dark_spots && s.extract.shared_dark_spots && s.trainer.normal_images() + s.trainer.anomaly_images() == 0 &&
        scales_[0].trainer.can_fit_per_position()) {
      // Photos the base scale may fit per position get the dark-spot
      // channel on that grid; the finer scale's shared channel would cost
      // a stride-4 grid of 16 features on every image there (bsdata-pitting
      // at 448 px: 0.7 GB) for a candidate that scale's per-position one
      // outranks. A base scale that later meets another size (no
      // per-position after all) still tries its own shared channel.
      s.extract.shared_dark_spots = false;
      RETURN_IF_ERROR(s.trainer.Reconfigure(s.extract));
    }
    const double start = clock_ ? clock_() : 0;
    RETURN_IF_ERROR(s.trainer.AddImage(image, label, mask));
    if (clock_) s.feature_seconds += clock_() - start;
    for (Trainer::Extraction& e : s.trainer.TakeExtractions()) {
      pending_.push_back({k, std::move(e)});
      pending_bytes_ += image.pixels.size();
    }
  }
  // The extractions run a few images at a time: enough work that the
  // longest job is at most a quarter of it (so the threads end together),
  // within a bound on the pixels held meanwhile.
  double cost = 0, longest = 0;
  for (const PendingExtraction& p : pending_) {
    cost += p.extraction.cost;
    longest = std::max(longest, p.extraction.cost);
  }
  if (cost >= 4 * longest || pending_bytes_ >= kMaxPendingExtractionBytes) RETURN_IF_ERROR(RunExtractions());
  return Status::Ok();
}

bool ConfigurationSearch::SharedDarkSpotsOffered() const {
  return classes_.empty() && !(pins_.dark_spots && !config_.dark_spots) &&
         !(pins_.normal_model && config_.normal_model == NormalModelKind::kPerPosition);
}

std::vector<ModelConfig> ConfigurationSearch::VariantsFor(const Scale& scale) const {
  ModelConfig base = config_;
  base.short_side = scale.short_side;
  base.max_scale = scale.extract.max_scale;
  std::vector<NormalModelKind> kinds;
  if (scale.upsampled) {
    kinds = {NormalModelKind::kSharedBank};
  } else if (pins_.normal_model) {
    kinds = {config_.normal_model};
  } else {
    kinds = {NormalModelKind::kSharedBank};
    // A per-position model needs the photos to share one working size, and
    // enough of them for a Gaussian per cell; whether they line up well
    // enough is the self-check's to say, not the alignment rule's.
    if (scale.trainer.can_fit_per_position() && scale.trainer.normal_images() >= kMinSearchPositionImages)
      kinds.push_back(NormalModelKind::kPerPosition);
  }
  std::vector<ModelConfig> variants;
  // The walk keeps the incumbent on a tie, so the order below decides
  // between candidates within noise of each other: the base, then the
  // per-position models (the more specific model of photos that line up,
  // where the self-check cannot tell them apart from a shared bank's
  // variant), then the shared bank's variants. Issue 16: with the
  // shared bank's tap-8 variant tried first, woven's per-position model
  // (0.65 against the base's 0.51) tied with it (0.60) and lost; real test
  // ROCAUC 0.91 against 0.70.
  for (NormalModelKind kind : kinds) {
    ModelConfig v = base;
    v.normal_model = kind;
    if (kind == NormalModelKind::kPerPosition) {
      // Taps do not apply: the per-position model uses one grid.
      // The dark-spot channel is tried from kMinPositionImages photos only:
      // with fewer its held-out calibration does not hold for new images.
      // The long-strip scene trained on 24 of its normal photos flagged all
      // 16 normal test images (8 of them its own unused training photos)
      // while 0 of 24 held-out scores were above the threshold; without the
      // channel 4 of 16. Trained on all 32 with the search, the channel won
      // the self-check and flagged 16 of 16.
      const bool spots_allowed = scale.trainer.normal_images() >= kMinPositionImages;
      if (pins_.dark_spots || !scale.trainer.has_dark_spot_features() || !spots_allowed) {
        v.dark_spots = pins_.dark_spots ? config_.dark_spots : false;
        variants.push_back(v);
      } else {
        for (bool spots : {true, false}) {
          v.dark_spots = spots;
          variants.push_back(v);
        }
      }
    } else {
      // Taps: the stride-8 and stride-16 features (today's default), and the
      // stride-8 ones alone, which localize small defects on texture better.
      const size_t first_shared = variants.size();
      variants.push_back(v);
      if (!pins_.coarse_weight && config_.coarse_weight > 0) {
        ModelConfig fine = v;
        fine.coarse_weight = 0;
        variants.push_back(fine);
      }
      // The position-free dark-spot channel, on the base taps: small pits,
      // cracks and spots on textures the backbone's taps rank near chance.
      // Only where no per-position candidate is: photos that line up get the
      // channel on their own grid, the stronger form of the same evidence
      // (bsdata-pitting: 0.971 against 0.89 to 0.91 for shared banks), and
      // the search's cost and memory stay as they were there.
      const bool per_position = std::find(kinds.begin(), kinds.end(), NormalModelKind::kPerPosition) != kinds.end();
      if (pins_.shared_dark_spots) {
        for (ModelConfig& pinned : variants)
          if (pinned.normal_model == NormalModelKind::kSharedBank) pinned.shared_dark_spots = config_.shared_dark_spots;
      } else if (!per_position && SharedDarkSpotsOffered() && scale.trainer.has_shared_dark_spot_features()) {
        // Where it is offered the channel is the incumbent, and the plain
        // banks must be clearly better to replace it: the self-check's
        // pasted defects rank near chance on such textures whatever the
        // model (their faint and tiny ones), so a tie is the common case
        // there, and on a tie the real pits and cracks follow the channel.
        // Issue 16, dev data only (the scenes' seeds 2 and 3): on
        // mixed-sizes seed 2 the channel's 0.50 against the plain bank's
        // 0.45 was within noise, the plain bank stayed, and it ranked the
        // dev test images near chance (best F1 0.67, F1 at the threshold
        // 0.21); the channel first ranks them perfectly (F1 0.91 on both
        // seeds' tests). No other dev set changed its choice.
        v.shared_dark_spots = true;
        variants.insert(variants.begin() + first_shared, v);
      }
    }
  }
  std::stable_partition(variants.begin() + (variants.empty() ? 0 : 1), variants.end(),
                        [](const ModelConfig& v) { return v.normal_model == NormalModelKind::kPerPosition; });
  return variants;
}

StatusOr<Model> ConfigurationSearch::Finish(const Hooks& hooks) {
  if (scales_.empty()) return InvalidInput("training needs at least 2 normal images; got 0");
  RETURN_IF_ERROR(failed_);
  RETURN_IF_ERROR(RunExtractions());
  std::vector<std::pair<size_t, ModelConfig>> tried;  // (scale, config) per row of the table
  std::vector<CandidateFigures> table;
  for (size_t s = 0; s < scales_.size(); ++s)
    for (const ModelConfig& v : VariantsFor(scales_[s])) tried.push_back({s, v});

  // Candidate models are fitted without progress reports of their own: the
  // search reports one step per candidate.
  Hooks trial_hooks;
  trial_hooks.cancelled = hooks.cancelled;
  trial_hooks.parallel = hooks.parallel;
  // A scale whose candidates have all been tried and none of which leads
  // can no longer win (the walk only replaces the incumbent with a later
  // candidate): its features are freed before the next scale's trials
  // (issue 16: the search's peak memory, with the upsampled scale's).
  std::vector<size_t> last_candidate(scales_.size(), 0);
  for (size_t k = 0; k < tried.size(); ++k) last_candidate[tried[k].first] = k;
  std::vector<bool> released(scales_.size(), false);
  std::optional<Status> first_error;
  int best = -1;
  // The candidates of one scale are fitted at once, one a thread (each
  // trial's own loops then run on its thread): a trial's searches split
  // over two threads gain 1.4x; whole trials side by side took the cookies'
  // candidates from 17.6 to 15.1 s at two threads (the two 886 px trials
  // together 10.6 s against 6.1 + 6.0 s one after the other: they contend
  // for something, likely memory bandwidth; not measured). They read their scale's
  // features and nothing of each other's, and are ranked below in the
  // table's order, so the choice and the model do not depend on the threads.
  std::vector<std::optional<StatusOr<Model>>> fitted(tried.size());
  std::vector<double> fit_seconds(tried.size(), 0);
  size_t group_end = 0;
  for (size_t k = 0; k < tried.size(); ++k) {
    if (k == group_end) {
      hooks.Report("search", k, tried.size() + 1);
      while (group_end < tried.size() && tried[group_end].first == tried[k].first) ++group_end;
      hooks.parallel(group_end - k, [&, first = k](size_t begin, size_t end) {
        for (size_t i = first + begin; i < first + end; ++i) {
          const double start = hooks.Now();
          ModelConfig lite = tried[i].second;
          lite.max_bank_rows = std::min(lite.max_bank_rows, kSearchBankRows);
          // The segmentation map's head and refinement do not change the image
          // scores or the self-check's (ungated) maps that rank candidates: the
          // winner gets them in its full fit.
          lite.defect_head = lite.map_refinement = false;
          StatusOr<Trainer> trial = scales_[tried[i].first].trainer.Trial(lite, kSearchNormalImages);
          fitted[i] = trial.ok() ? trial->Finish(trial_hooks) : StatusOr<Model>(trial.status());
          fit_seconds[i] = hooks.Now() - start;
        }
      });
      if (hooks.Cancelled()) return Cancelled("training cancelled");
    }
    const Scale& scale = scales_[tried[k].first];
    CandidateFigures c = Describe(scale.short_side, tried[k].second);
    c.feature_seconds = scale.feature_seconds;
    StatusOr<Model>& model = *fitted[k];
    if (model.ok()) {
      const SelfCheckReport& check = model->stats.self_check;
      c.normal_model = NormalModelKindName(model->normal_model);
      c.dark_spots = !model->dark_spots.empty();
      c.synthetic_rocauc = check.ran() ? check.image_rocauc : std::numeric_limits<double>::quiet_NaN();
      c.synthetic_aupro = check.ran() ? check.pixel_aupro : std::numeric_limits<double>::quiet_NaN();
      c.synthetic_recall = check.recall;
      c.labelled_rocauc = LabelledRocAuc(model->stats);
      c.synthetic_defects = check.defects;
      c.labelled_anomalies = static_cast<int>(model->stats.calibration_anomaly_scores.size());
      c.held_out_normals = static_cast<int>(model->stats.calibration_normal_scores.size());
      c.few_pixel_rocauc = std::numeric_limits<double>::quiet_NaN();
      for (const SelfCheckGroup& g : check.sizes)
        if (g.name == SelfCheckSizeClassName(kFewPixelSizeClass))
          c.few_pixel_rocauc = g.image_rocauc, c.few_pixel_defects = g.defects;
      c.compressed_normals = check.compressed_normals;
      c.compressed_flagged = check.compressed_flagged;
    } else {
      c.error = model.status().message();
      if (!first_error) first_error = model.status();
    }
    c.fit_seconds = fit_seconds[k];
    fitted[k].reset();
    table.push_back(c);
    if (best < 0 || CandidateRanksAbove(table.back(), table[best])) best = static_cast<int>(k);
    for (size_t s = 0; s < scales_.size(); ++s) {
      if (released[s] || last_candidate[s] > k || s == tried[best].first) continue;
      scales_[s].trainer = Trainer(backbone_, scales_[s].extract, classes_);
      released[s] = true;
    }
  }
  if (!table[best].error.empty()) return *first_error;
  table[best].chosen = true;

  // The winner, fitted in full: on every normal image, with the configured
  // bank, and for segmentation models with its pixel rule, head and map
  // refinement, which the trials (ranking only) left out.
  hooks.Report("search", tried.size(), tried.size() + 1);
  Trainer& trainer = scales_[tried[best].first].trainer;
  RETURN_IF_ERROR(trainer.Reconfigure(tried[best].second));
  ASSIGN_OR_RETURN(Model model, trainer.Finish(trial_hooks));
  hooks.Report("search", tried.size() + 1, tried.size() + 1);
  model.stats.search = std::move(table);
  return model;
}

}  // namespace anomalens
