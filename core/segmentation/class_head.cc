#include "core/segmentation/class_head.h"

namespace anomalens {

ClassHead FitClassHead(const std::vector<float>& rows, const std::vector<uint8_t>& labels, int dim, int classes) {
  ClassHead head;
  if (classes < 2 || dim < 1 || rows.size() != labels.size() * dim) return head;
  std::vector<DefectHead> fitted;
  std::vector<uint8_t> one_vs_rest(labels.size());
  for (int k = 0; k < classes; ++k) {
    for (size_t i = 0; i < labels.size(); ++i) one_vs_rest[i] = labels[i] == k ? 1 : 0;
    fitted.push_back(FitDefectHead(rows, one_vs_rest, dim));
    if (!fitted.back().enabled()) return head;  // a class without rows, or only one class
  }
  head.classes = std::move(fitted);
  return head;
}

std::vector<uint8_t> ClassHeadNames(const ClassHead& head, const std::vector<float>& rows) {
  if (!head.enabled()) return {};
  const int dim = head.classes[0].dim();
  const size_t n = rows.size() / dim;
  std::vector<uint8_t> out(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const float* x = &rows[i * dim];
    double best = 0;
    for (size_t k = 0; k < head.classes.size(); ++k) {
      const DefectHead& h = head.classes[k];
      double z = h.bias;
      for (int d = 0; d < dim; ++d) z += h.weights[d] * (x[d] - h.mean[d]) * h.scale[d];
      if (k == 0 || z > best) best = z, out[i] = static_cast<uint8_t>(k);
    }
  }
  return out;
}

}  // namespace anomalens
