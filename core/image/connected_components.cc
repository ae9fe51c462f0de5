#include "core/image/connected_components.h"

#include <cstddef>
#include <cstdint>

namespace anomalens {
namespace {

// Follows parents to the root, halving the path on the way so that later
// finds are short (iterative: a long chain must not exhaust the stack).
int32_t FindRoot(std::vector<int32_t>& parent, int32_t label) {
  while (parent[label] != label) {
    parent[label] = parent[parent[label]];
    label = parent[label];
  }
  return label;
}

// Joins two sets under the smaller root. Provisional labels are handed out in
// raster order, so every root stays the component's first provisional label,
// which belongs to its first pixel in raster order.
void Unite(std::vector<int32_t>& parent, int32_t a, int32_t b) {
  a = FindRoot(parent, a);
  b = FindRoot(parent, b);
  if (a < b) {
    parent[b] = a;
  } else if (b < a) {
    parent[a] = b;
  }
}

}  // namespace

ComponentLabels LabelConnectedComponents(const uint8_t* mask, int width, int height) {
  ComponentLabels result;
  if (mask == nullptr || width < 1 || height < 1) return result;
  const size_t w = static_cast<size_t>(width);
  const size_t h = static_cast<size_t>(height);
  // Every pixel could start a provisional label, and labels are int32.
  if (w * h > static_cast<size_t>(INT32_MAX)) return result;
  result.labels.assign(w * h, 0);
  int32_t* labels = result.labels.data();

  // Pass 1: give each foreground pixel the label of an already visited
  // neighbour (west, north-west, north, north-east) and record that the
  // neighbours' labels are equivalent; a pixel with none starts a new label.
  std::vector<int32_t> parent(1, 0);  // parent[0] is the background, unused
  for (size_t y = 0; y < h; ++y) {
    for (size_t x = 0; x < w; ++x) {
      const size_t i = y * w + x;
      if (mask[i] == 0) continue;
      int32_t label = 0;
      const auto join = [&](size_t neighbour) {
        const int32_t other = labels[neighbour];
        if (other == 0) return;
        if (label == 0) {
          label = other;
        } else if (other != label) {
          Unite(parent, label, other);
        }
      };
      if (x > 0) join(i - 1);
      if (y > 0) {
        if (x > 0) join(i - w - 1);
        join(i - w);
        if (x + 1 < w) join(i - w + 1);
      }
      if (label == 0) {
        label = static_cast<int32_t>(parent.size());
        parent.push_back(label);
      }
      labels[i] = label;
    }
  }

  // Number the roots in increasing provisional order, i.e. in the raster
  // order of each component's first pixel; a root precedes its members, so
  // one forward sweep resolves every label.
  std::vector<int32_t> final_label(parent.size(), 0);
  int32_t count = 0;
  for (size_t label = 1; label < parent.size(); ++label) {
    const int32_t root = FindRoot(parent, static_cast<int32_t>(label));
    final_label[label] = root == static_cast<int32_t>(label) ? ++count : final_label[root];
  }

  // Pass 2: replace provisional labels by final ones.
  // (Most pixels are background: label 0 stays 0.)
  for (size_t i = 0; i < w * h; ++i)
    if (labels[i] != 0) labels[i] = final_label[labels[i]];
  result.count = count;
  return result;
}

}  // namespace anomalens
