#include "core/image/connected_components.h"

#include <algorithm>
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

ComponentLabels LabelConnectedComponents(const uint8_t* mask, int width, int height, const ParallelFor& parallel) {
  ComponentLabels result;
  if (mask == nullptr || width < 1 || height < 1) return result;
  const size_t w = static_cast<size_t>(width);
  const size_t h = static_cast<size_t>(height);
  // Every pixel could start a provisional label, and labels are int32.
  if (w * h > static_cast<size_t>(INT32_MAX)) return result;
  result.labels.assign(w * h, 0);
  int32_t* labels = result.labels.data();

  // Pass 1, a band of rows at a time (bands are independent, so threads take
  // whole bands): give each foreground pixel the label of an already visited
  // neighbour in its band (west, north-west, north, north-east) and record
  // that the neighbours' labels are equivalent; a pixel with none starts a
  // new label. Labels are the band's own, from 1.
  const size_t bands = (h + kLabelBandRows - 1) / kLabelBandRows;
  std::vector<std::vector<int32_t>> band_parent(bands);
  parallel(bands, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      std::vector<int32_t>& parent = band_parent[b];
      parent.assign(1, 0);  // parent[0] is the background, unused
      const size_t y0 = b * kLabelBandRows, y1 = std::min(h, y0 + kLabelBandRows);
      for (size_t y = y0; y < y1; ++y) {
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
          if (y > y0) {
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
    }
  });

  // The bands' labels one after another: band b's label l is l + offset[b],
  // so every provisional label stays in the raster order of the pixel that
  // started it. Then the seams: each band's first row joins the row above.
  std::vector<int32_t> offset(bands + 1, 0);
  for (size_t b = 0; b < bands; ++b)
    offset[b + 1] = offset[b] + static_cast<int32_t>(band_parent[b].size() - 1);
  std::vector<int32_t> parent(static_cast<size_t>(offset[bands]) + 1, 0);
  for (size_t b = 0; b < bands; ++b) {
    const std::vector<int32_t>& local = band_parent[b];
    for (size_t l = 1; l < local.size(); ++l) parent[l + offset[b]] = local[l] + offset[b];
  }
  for (size_t b = 1; b < bands; ++b) {
    const size_t y = b * kLabelBandRows;
    for (size_t x = 0; x < w; ++x) {
      const size_t i = y * w + x;
      if (labels[i] == 0) continue;
      const int32_t label = labels[i] + offset[b];
      for (size_t n = x > 0 ? x - 1 : 0; n <= x + 1 && n < w; ++n) {
        const int32_t above = labels[i - w - x + n];
        if (above != 0) Unite(parent, label, above + offset[b - 1]);
      }
    }
  }

  // Number the roots in increasing provisional order, i.e. in the raster
  // order of each component's first pixel; a root precedes its members (the
  // smaller root wins every union), so one forward sweep resolves every
  // label. The result is a function of the mask alone, whatever the bands.
  std::vector<int32_t> final_label(parent.size(), 0);
  int32_t count = 0;
  for (size_t label = 1; label < parent.size(); ++label) {
    const int32_t root = FindRoot(parent, static_cast<int32_t>(label));
    final_label[label] = root == static_cast<int32_t>(label) ? ++count : final_label[root];
  }

  // Pass 2: replace provisional labels by final ones, band by band.
  // (Most pixels are background: label 0 stays 0.)
  parallel(bands, [&](size_t b0, size_t b1) {
    for (size_t b = b0; b < b1; ++b) {
      const int32_t* to = &final_label[offset[b]];
      const size_t end = std::min(h, (b + 1) * kLabelBandRows) * w;
      for (size_t i = b * kLabelBandRows * w; i < end; ++i)
        if (labels[i] != 0) labels[i] = to[labels[i]];
    }
  });
  result.count = count;
  return result;
}

}  // namespace anomalens
