// The list of scenes and the seeding every scene shares.
#include "core/synthetic/scene.h"

#include "core/synthetic/procedural_texture.h"
#include "core/synthetic/seeded_random.h"

namespace anomalens {

SceneSample NewSceneSample(int width, int height) {
  SceneSample s;
  s.image.width = width;
  s.image.height = height;
  s.image.pixels.assign(static_cast<size_t>(width) * height * 3, 0);
  s.mask.assign(static_cast<size_t>(width) * height, 0);
  return s;
}

void FinishGreyScene(const std::vector<double>& grey, double r, double g, double b, double noise, SeededRandom& rng,
                     SceneSample* s) {
  for (size_t i = 0; i < grey.size(); ++i) {
    const double n = noise > 0 ? rng.Uniform(-noise, noise) : 0.0;
    uint8_t* p = &s->image.pixels[i * 3];
    p[0] = ToByte(grey[i] * r + n);
    p[1] = ToByte(grey[i] * g + n);
    p[2] = ToByte(grey[i] * b + n);
  }
}

const std::vector<Scene>& Scenes() {
  static const std::vector<Scene> scenes = {GranularScene(),    BrushedMetalScene(), WovenScene(),
                                            CircuitScene(),     LongStripScene(),    MixedSizesScene(),
                                            TinyDefectsScene(), LargeCircuitScene()};
  return scenes;
}

const Scene* FindScene(const std::string& name) {
  for (const Scene& s : Scenes())
    if (name == s.name) return &s;
  return nullptr;
}

std::string SceneNames() {
  std::string names;
  for (const Scene& s : Scenes()) names += (names.empty() ? "" : ", ") + std::string(s.name);
  return names;
}

SceneSample GenerateSceneSample(const Scene& scene, uint64_t seed, int index, bool anomalous) {
  // The scene's name enters the stream, so two scenes never share images.
  uint64_t name_hash = 0xCBF29CE484222325ull;  // FNV-1a
  for (const char* c = scene.name; *c; ++c) name_hash = (name_hash ^ static_cast<uint8_t>(*c)) * 0x100000001B3ull;
  const uint64_t stream =
      MixBits(MixBits(seed ^ name_hash) + static_cast<uint64_t>(index) * 2 + (anomalous ? 1 : 0));
  const int defect = anomalous ? index % static_cast<int>(scene.defects.size()) : -1;
  SceneSample s = scene.draw(stream, defect);
  s.anomalous = anomalous;
  if (anomalous) s.defect = scene.defects[static_cast<size_t>(defect)];
  return s;
}

}  // namespace anomalens
