// PrincipalAxes: the orthonormal basis of a set of rows ordered by how much
// of their spread lies along each axis (PCA). The pruned nearest-neighbour
// search (xnnpack_search.h) bounds distances on the first few axes; any
// orthonormal basis keeps its search exact, a good one only makes it faster.
#ifndef ANOMALENS_NATIVE_ENGINE_PRINCIPAL_AXES_H_
#define ANOMALENS_NATIVE_ENGINE_PRINCIPAL_AXES_H_

#include <cstddef>
#include <vector>

namespace anomalens {

struct PrincipalAxes {
  std::vector<double> mean;  // dim
  // dim x dim, row k the k-th axis (unit length, orthogonal to the others),
  // by decreasing variance.
  std::vector<double> axes;
  std::vector<double> variances;  // along each axis, decreasing
};

// The axes of `count` rows of `dim` floats. Deterministic: the covariance in
// double, then a Householder tridiagonalisation and implicit QL (a small
// dense solver, no library).
PrincipalAxes ComputePrincipalAxes(const float* rows, size_t count, int dim);

}  // namespace anomalens

#endif  // ANOMALENS_NATIVE_ENGINE_PRINCIPAL_AXES_H_
