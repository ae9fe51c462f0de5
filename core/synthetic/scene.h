// Synthetic scenes: varied inspection sets the project makes itself, to
// develop and check `train` on kinds of images nobody tuned it for (textured
// surfaces, line art, long narrow images, mixed sizes, defects of a few
// pixels). Each scene draws normal images of one kind of surface and, on
// anomalous ones, a defect drawn as part of the scene (a broken thread, a
// missing trace segment, a blowhole with its shaded rim, a crack along the
// grain boundaries) with its exact mask. Those shapes are deliberately not
// the self-check's pasted defects, so the self-check is not graded on its
// own homework. Seeded, and the same bytes on every target.
//
//   const Scene* scene = FindScene("woven");
//   SceneSample s = GenerateSceneSample(*scene, /*seed=*/1, /*index=*/0, /*anomalous=*/true);
#ifndef ANOMALENS_CORE_SYNTHETIC_SCENE_H_
#define ANOMALENS_CORE_SYNTHETIC_SCENE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/image/image.h"
#include "core/synthetic/seeded_random.h"

namespace anomalens {

struct SceneSample {
  RgbImage image;
  bool anomalous = false;
  std::string defect;         // one of the scene's defect names; empty when normal
  std::vector<uint8_t> mask;  // width x height: 255 on the defect, 0 elsewhere
};

struct Scene {
  const char* name;
  const char* description;           // one line: the surface, its sizes and its defects
  std::vector<const char*> defects;  // anomalous samples cycle through these
  // Default set sizes: normal training images, normal and anomalous test images.
  int train_normal = 32;
  int test_normal = 16;
  int test_anomalous = 16;
  // Draws one image from `stream` (already mixed from seed, scene and index):
  // normal when `defect` < 0, else with defects[defect].
  SceneSample (*draw)(uint64_t stream, int defect);
};

// Every scene, in a fixed order.
const std::vector<Scene>& Scenes();

// The scene called `name`, or nullptr.
const Scene* FindScene(const std::string& name);

// The scenes' names, comma-separated (for error messages and help).
std::string SceneNames();

// Sample `index` of the normal or the anomalous stream of `scene` for `seed`.
// Anomalous sample i carries defect i mod defects.size().
SceneSample GenerateSceneSample(const Scene& scene, uint64_t seed, int index, bool anomalous);

// A blank sample of the given size (black image, empty mask), for the scenes to draw into.
SceneSample NewSceneSample(int width, int height);

// Writes grey levels `grey` (width x height, any range) tinted by (r, g, b)
// multipliers plus per-pixel sensor noise of +-`noise` from `rng` into s.image.
void FinishGreyScene(const std::vector<double>& grey, double r, double g, double b, double noise, SeededRandom& rng,
                     SceneSample* s);

// The scenes, one a file (scene_<name>.cc).
Scene GranularScene();
Scene BrushedMetalScene();
Scene WovenScene();
Scene CircuitScene();
Scene LargeCircuitScene();  // "circuit-640", in scene_circuit.cc
Scene LongStripScene();
Scene MixedSizesScene();
Scene TinyDefectsScene();

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SYNTHETIC_SCENE_H_
