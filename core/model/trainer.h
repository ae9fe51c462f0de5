// Trainer: builds a Model from normal images (and labelled anomalous ones,
// which add an anomaly bank and calibrate the threshold).
//
//   Trainer trainer(backbone, ModelConfig{}, classes);  // classes: CollectAnomalyClasses, {} for none
//   for (auto& [image, label, mask] : dataset) RETURN_IF_ERROR(trainer.AddImage(image, label, mask));
//   ASSIGN_OR_RETURN(Model model, trainer.Finish(hooks));
//
// Images are reduced to patch features as they are added, so the decoded
// pixels need not be kept.
#ifndef ANOMALENS_CORE_MODEL_TRAINER_H_
#define ANOMALENS_CORE_MODEL_TRAINER_H_

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/backbone/mobilenet_v2.h"
#include "core/base/hooks.h"
#include "core/base/status.h"
#include "core/features/patch_features.h"
#include "core/features/working_geometry.h"
#include "core/image/image.h"
#include "core/lookout/anomaly_classes.h"
#include "core/lookout/class_mask.h"
#include "core/lookout/manifest.h"
#include "core/model/model.h"
#include "core/lookout/self_check_report.h"
#include "core/scoring/anomaly_map.h"
#include "core/scoring/nearest_neighbor_search.h"
#include "core/segmentation/segmentation_calibration.h"

namespace anomalens {

// Cap on the anomaly bank masks feed: labelled defects can cover many patches.
constexpr size_t kMaxAnomalyBankRows = 4096;

class Trainer {
 public:
  Trainer(std::shared_ptr<const Backbone> backbone, ModelConfig config,
          std::vector<AnomalyClass> classes = {});

  // Extracts the image's features. The first image fixes the scale. `mask`
  // (optional, the image's size, labels indexing the trainer's classes)
  // labels an anomalous image's defects; a normal image's mask may label none.
  Status AddImage(const RgbImage& image, ImageLabel label, const ClassMask* mask = nullptr);
  // Optional, before the images: how many normal images will come. With
  // fewer than kMinPositionImages, `auto` cannot pick the per-position model,
  // so the trainer skips the stride-4 grids it would otherwise keep for it
  // (the shared bank's training then costs what it did before them).
  void ExpectNormalImages(int count);
  // The nearest-neighbour engine for the banks' held-out scoring (empty:
  // the core's portable index, as wasm and --backend portable run).
  void SetSearch(BuildSearch build) { search_ = std::move(build); }
  // The platform's thread pool for feature extraction: AddImage extracts an
  // image's features and its self-check copies' (synthetic defects, the
  // compressed copy) at once, one image a thread, so each backbone run has a
  // thread to itself: XNNPACK splitting one image's ~60 steps over two
  // threads waits at each step (the cookies' search: features 17.5 - 19.0 s
  // that way, 14.8 - 15.7 s a whole image a thread). Each image's features
  // are the same on any thread, so the model's bytes do not depend on it.
  // Empty (wasm): one after another.
  void SetParallel(ParallelFor parallel) { parallel_ = std::move(parallel); }

  // For a caller that extracts the features of several images, or of
  // several trainers, at once (the configuration search): from
  // DeferExtraction on, AddImage does everything that depends on the order
  // of the images (checks, scale, the self-check's plans and defect
  // images) and adds the image's samples without their features; the
  // caller takes the extractions and runs them, in any order and on any
  // thread, before anything else reads this trainer (Finish, Trial,
  // Reconfigure, ExtendClasses, or another AddImage that changes the
  // working size). Runs still pending then are run on the calling thread.
  struct Extraction {
    double cost = 0;               // relative: the working pixels the backbone runs on
    std::function<Status()> run;   // fills its sample; safe beside the others
  };
  void DeferExtraction() { defer_ = true; }
  std::vector<Extraction> TakeExtractions();

  // Extends the class list while images arrive (a streamed dataset meets
  // its classes as it goes). The current classes must be a prefix of
  // `classes`, so the indices of masks already added keep their meaning.
  Status ExtendClasses(const std::vector<AnomalyClass>& classes);
  const std::vector<AnomalyClass>& classes() const { return classes_; }

  // Builds the memory banks and calibrates the threshold. Needs at least two
  // normal images (one to score while the others form the bank).
  StatusOr<Model> Finish(const Hooks& hooks = {});

  int normal_images() const { return static_cast<int>(normal_.size()); }
  int anomaly_images() const { return static_cast<int>(anomaly_.size()); }
  // The scale chosen from the first image (1 before any image).
  double scale() const { return scale_; }
  // Synthetic defect images made so far for the self-check (self_check.h).
  int synthetic_defects() const { return static_cast<int>(synthetic_.size()); }
  // The first image's size (0x0 before any image).
  Size first_image() const { return first_image_; }

  // For the configuration search (configuration_search.h): a copy of this
  // trainer that finishes with `variant` on the features already extracted,
  // keeping only the first `max_normals` normal images (all when 0) and the
  // synthetic defects planted in them. The variant may differ only in what
  // Finish reads (normal model, dark spots, coarse weight, bank size, defect
  // head, map refinement); it must not ask
  // for features that were not kept (see can_fit_per_position).
  // The trial's Finish gives the image and self-check figures the search
  // ranks by, not a model to keep: it fits no segmentation. A shared-bank
  // trial reads some of this trainer's features (Sample::parent_grid): it
  // must not outlive this trainer, nor be finished after it changes.
  StatusOr<Trainer> Trial(const ModelConfig& variant, int max_normals = 0) const;
  // Changes the finish-time options of this trainer (same rules as Trial),
  // so the search's winner finishes on the full set without a copy.
  Status Reconfigure(const ModelConfig& variant);
  // Whether the features kept allow a per-position model (one working size,
  // stride-4 grids kept) and whether dark-spot features were kept with them.
  bool can_fit_per_position() const { return stride4_; }
  bool has_dark_spot_features() const;
  // Whether every image kept dark-spot features for a shared-bank model's
  // position-free channel (ModelConfig::shared_dark_spots at extraction).
  bool has_shared_dark_spot_features() const;

 private:
  struct Sample {
    PatchGrid grid;  // unscaled until Finish (layer scales need every normal image)
    // The stride-4 grid, kept while a per-position model may still be
    // chosen (ExtractStride4Features); empty otherwise.
    PatchGrid fine;
    // Raw dark-spot features on the stride-4 grid, kept with `fine` when the
    // config asks for the channel (dark_spot_channel.h), or alone for a
    // shared-bank model's channel (shared_dark_spots); empty otherwise.
    PatchGrid dark_spots;
    // Colour-spot features on the stride-4 grid, for a shared-bank model's
    // channel (shared_dark_spots); empty otherwise.
    PatchGrid colour_spots;
    WorkingGeometry geometry;
    // From the mask, when there is one (cell_labels.h).
    std::vector<uint8_t> cell_labels;
    std::vector<uint8_t> working_mask;
    // Masked images: the map refinement's guide (map_refinement.h).
    std::vector<float> guide;
    // A shared-bank trial's synthetic defects and compressed copies keep no
    // grid of their own: `grid` is empty and this is the trial's parent's
    // (unscaled), scaled into a scratch copy when the image is scored, one
    // at a time. The parent outlives the trial (Trial). Issue 16: on
    // 640x640 images the upsampled candidate's trial copied 64 such grids
    // of 8 MiB. Null otherwise.
    const PatchGrid* parent_grid = nullptr;
    bool has_mask() const { return !cell_labels.empty(); }
  };
  // A synthetic defect pasted into normal image `source` (self_check.h),
  // reduced to features like any training image.
  struct SyntheticSample {
    Sample sample;
    int source = 0;  // the normal image's index; it is held out with that image's fold
    std::string family;
    int size_class = 0;
  };
  // A normal image after a JPEG-like round trip (kCompressionCheckImages):
  // scored held out with its source's fold, counted as a normal.
  struct CompressedSample {
    Sample sample;
    int source = 0;
  };
  // `training_image`: a normal or anomalous image (not a self-check copy).
  StatusOr<Sample> Extract(const RgbImage& image, const WorkingGeometry& geometry, bool training_image) const;
  // A sample AddImage added without its features: the pixels to extract
  // them from and where they go.
  struct PendingExtraction {
    enum class Into { kNormal, kAnomaly, kSynthetic, kCompressed };
    Into into = Into::kNormal;
    size_t index = 0;           // in that list
    int image_number = 0;       // the AddImage call's, from 1, for errors
    // The pixels: the caller's own while AddImage runs the extraction before
    // it returns, else a copy (shared by an image's jobs).
    std::shared_ptr<const RgbImage> image;
    bool jpeg_like_round_trip = false;  // the compression check's copy: round-trip `image` first
    std::optional<ClassMask> mask;      // a labelled anomaly's: its cell labels and guide
  };
  // AddImage after its checks: adds the image's samples and their extractions.
  Status StageImage(const RgbImage& image, ImageLabel label, const ClassMask* mask, const WorkingGeometry& geometry);
  Sample& TargetOf(const PendingExtraction& job);
  // Adds `job` to the pending ones; without a thread pool and not deferred,
  // runs it at once, so no more than one image's pixels are alive as
  // before (a 4096x4096 image's copies are 48 MB each).
  Status Enqueue(PendingExtraction job);
  Status RunExtraction(const PendingExtraction& job);
  // Runs what AddImage left pending, on parallel_ (Finish and the methods
  // that read the samples call it first).
  Status RunPendingExtractions();
  // How many synthetic defects normal image `index` gets.
  int SelfCheckDefectsFor(int index) const;
  // Fraction-sized self-check defects not yet planted.
  int SelfCheckDefectsLeft() const;
  Status AddSyntheticDefects(const RgbImage& image, int index);
  SelfCheckReport SummarizeSelfCheck(const std::vector<double>& scores, const std::vector<AnomalyMap>& maps,
                                     const std::vector<double>& normal_scores, double threshold) const;
  Status CheckConfig() const;
  Status BuildSegmentation(const SegmentationCalibration& held_out, int folds, const Hooks& hooks, Model* model) const;
  // Models of 2+ classes: the class memory (class_bank and its labels) and
  // the per-class head from the masked anomalies outside `fold` (i % folds;
  // -1: all of them).
  void BuildClassMemory(int fold, int folds, SegmentationModel* seg) const;
  ClassHead FitClassHeadWithout(int fold, int folds) const;
  // Who names the types (config_.type_naming), with the held-out figures
  // that chose it in model->stats.
  void ChooseTypeNaming(int folds, const Hooks& hooks, Model* model) const;

  std::shared_ptr<const Backbone> backbone_;
  ModelConfig config_;
  std::vector<AnomalyClass> classes_;
  double scale_ = 1;
  Size first_image_{};
  std::vector<Sample> normal_;
  std::vector<Sample> anomaly_;
  std::vector<SyntheticSample> synthetic_;
  std::vector<CompressedSample> compressed_;
  // The previous normal image: the texture family's donor (another normal
  // image), kept only while the self-check still has defects to plant.
  RgbImage donor_;
  // Whether the samples carry stride-4 grids: the config allows a
  // per-position model, and every image so far has the first one's working
  // size, with a stride-4 grid of at most kMaxPositionCells cells.
  bool stride4_ = false;
  // Whether the samples carry stride-4 grids for the defect head (a
  // segmentation model's head reads the finer tap, defect_head.h), whatever
  // the normal model; a classification model drops them at Finish.
  bool fine_for_head_ = false;
  int expected_normals_ = -1;  // ExpectNormalImages; -1: unknown
  BuildSearch search_;
  ParallelFor parallel_;
  bool defer_ = false;
  int images_added_ = 0;
  std::vector<PendingExtraction> pending_;
  size_t anomaly_bank_limit_ = kMaxAnomalyBankRows;  // lower in the search's trials
  // A trial only ranks: it scores the images as the model would, but fits no
  // segmentation (pixel rule, clean bank, class memory), which no ranking
  // figure reads. Its Finish is not a model to keep: the search refits the winner.
  bool ranking_only_ = false;
};

}  // namespace anomalens

#endif  // ANOMALENS_CORE_MODEL_TRAINER_H_
