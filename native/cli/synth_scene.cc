#include "native/cli/synth_scene.h"

#include <cstdio>
#include <map>

#include "core/image/png_encode.h"
#include "native/jobs/file_io.h"

namespace anomalens {
namespace {

std::string Numbered(int i) {
  char name[16];
  std::snprintf(name, sizeof name, "%03d", i);
  return name;
}

Status WritePng(const std::string& path, const uint8_t* pixels, int width, int height, int channels) {
  const std::vector<uint8_t> png = EncodePng(pixels, width, height, channels);
  if (png.empty()) return Internal("cannot encode " + path);
  return WriteFileAtomic(path, png);
}

}  // namespace

StatusOr<int> WriteSceneDataset(const Scene& scene, uint64_t seed, const SceneCounts& counts, const std::string& dir) {
  if (IsDirectory(dir)) {
    ASSIGN_OR_RETURN(std::vector<std::string> present, ListDirectory(dir));
    if (!present.empty()) {
      return InvalidInput("'" + dir + "' is not empty: synth --scene writes into a new or empty folder, so that no "
                          "image of an earlier set mixes into this one");
    }
  }
  RETURN_IF_ERROR(MakeDirectories(JoinPath(dir, "train/good")));
  RETURN_IF_ERROR(MakeDirectories(JoinPath(dir, "test/good")));
  for (const char* defect : scene.defects) {
    RETURN_IF_ERROR(MakeDirectories(JoinPath(dir, std::string("test/") + defect)));
    RETURN_IF_ERROR(MakeDirectories(JoinPath(dir, std::string("ground_truth/") + defect)));
  }
  // Training and test normals come from disjoint index ranges of the normal stream.
  int written = 0;
  for (int i = 0; i < counts.train_normal + counts.test_normal; ++i) {
    const SceneSample s = GenerateSceneSample(scene, seed, i, false);
    const bool train = i < counts.train_normal;
    const std::string path =
        JoinPath(dir, (train ? "train/good/" : "test/good/") + Numbered(train ? i : i - counts.train_normal) + ".png");
    RETURN_IF_ERROR(WritePng(path, s.image.pixels.data(), s.image.width, s.image.height, 3));
    ++written;
  }
  std::map<std::string, int> per_defect;
  for (int i = 0; i < counts.test_anomalous; ++i) {
    const SceneSample s = GenerateSceneSample(scene, seed, i, true);
    const std::string name = Numbered(per_defect[s.defect]++);
    RETURN_IF_ERROR(WritePng(JoinPath(dir, "test/" + s.defect + "/" + name + ".png"), s.image.pixels.data(),
                             s.image.width, s.image.height, 3));
    RETURN_IF_ERROR(WritePng(JoinPath(dir, "ground_truth/" + s.defect + "/" + name + "_mask.png"), s.mask.data(),
                             s.image.width, s.image.height, 1));
    ++written;
  }
  std::string source = "# Synthetic scene \"" + std::string(scene.name) + "\"\n\n" + scene.description +
                       ".\n\nWritten by `anomalens synth --scene " + scene.name + " --seed " + std::to_string(seed) +
                       "` (core/synthetic/scene_*.cc): " + std::to_string(counts.train_normal) +
                       " normal training images in train/good, " + std::to_string(counts.test_normal) +
                       " normal and " + std::to_string(counts.test_anomalous) +
                       " anomalous test images in test/, masks in ground_truth/ (255 on the defect).\n";
  RETURN_IF_ERROR(WriteFileAtomic(JoinPath(dir, "SOURCE.md"), source));
  return written;
}

}  // namespace anomalens
