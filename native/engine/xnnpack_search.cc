#include "native/engine/xnnpack_search.h"

#include <xnnpack.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/base/simd.h"
#include "native/engine/principal_axes.h"

namespace anomalens {
namespace {

// As the portable index sums |q|^2 (four lanes, then pairs).
__attribute__((always_inline)) inline float SquaredNorm(const float* v, int dim) {
  f32x4 acc = Splat4(0.0f);
  int d = 0;
  for (; d + 4 <= dim; d += 4) {
    const f32x4 x = Load4(v + d);
    acc += x * x;
  }
  float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; d < dim; ++d) sum += v[d] * v[d];
  return sum;
}

// The smallest of n floats. Four running minima, not one: each Min4 waits
// for the previous one otherwise, and this scan is a fifth of the search.
// (A minimum is exact in any order, so the result is the same.)
float MinOf(const float* v, size_t n) {
  size_t j = 0;
  float m = std::numeric_limits<float>::infinity();
  if (n >= 16) {
    f32x4 a = Load4(v), b = Load4(v + 4), c = Load4(v + 8), d = Load4(v + 12);
    for (j = 16; j + 16 <= n; j += 16) {
      a = Min4(a, Load4(v + j));
      b = Min4(b, Load4(v + j + 4));
      c = Min4(c, Load4(v + j + 8));
      d = Min4(d, Load4(v + j + 12));
    }
    const f32x4 m4 = Min4(Min4(a, b), Min4(c, d));
    m = std::min(std::min(m4[0], m4[1]), std::min(m4[2], m4[3]));
  }
  for (; j < n; ++j) m = std::min(m, v[j]);
  return m;
}

// |a - b|^2 over dim floats, in the difference form (no cancellation), or
// some value above `limit` as soon as the sum passes it: rotated rows carry
// most of their spread in the first coordinates, so a row that loses shows it
// early.
__attribute__((always_inline)) inline float SquaredDistanceBelow(const float* a, const float* b, int dim, float limit) {
  f32x4 acc0 = Splat4(0.0f), acc1 = Splat4(0.0f);
  int d = 0;
  for (; d + 8 <= dim; d += 8) {
    const f32x4 x = Load4(a + d) - Load4(b + d), y = Load4(a + d + 4) - Load4(b + d + 4);
    acc0 += x * x;
    acc1 += y * y;
    if ((d & 31) == 24) {  // every 32 coordinates
      const f32x4 acc = acc0 + acc1;
      if ((acc[0] + acc[1]) + (acc[2] + acc[3]) > limit) return std::numeric_limits<float>::infinity();
    }
  }
  const f32x4 acc = acc0 + acc1;
  float sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  for (; d < dim; ++d) sum += (a[d] - b[d]) * (a[d] - b[d]);
  return sum;
}

// The pruned bank as the per-query search reads it (XnnpackSearch's members).
struct PrunedBank {
  const float* rows;          // block after block of 16 (padding rows zero)
  const float* mean;          // the rows' mean (the rotation's origin)
  const float* bound_blocks;  // per block: kBoundDims x 16 weights, 16 |.|^2 over 16 coordinates, 16 over the rest
  const float* box_corners;   // per group of 16 blocks: kBoxDims x 16 lower corners, then as many upper
  size_t blocks;
  size_t box_groups;
  int dim;
  float max_centred_norm;  // the largest |row - mean|^2
  // 1 for the exact search; below 1, (1 + e)^-2 for a search that may return
  // a row up to (1 + e) times farther than the nearest: a row (a block) is
  // skipped once its lower bound is above row_shrink (block_shrink) x the
  // best so far (XnnpackSearch::Approximation).
  float row_shrink;
  float block_shrink;  // the same for whole blocks (their boxes' bounds)
};

// One query's lists, kept with the operators so no search allocates.
struct SearchScratch {
  SearchScratch() = default;
  explicit SearchScratch(size_t blocks)  // a multiple of 16
      : box_bounds(blocks), blocks(blocks), heads(blocks), partial(blocks * 16), rows(blocks * 16),
        row_bounds(blocks * 16), next_box(blocks), next_head(blocks * 16), next_head_pair(blocks, 0),
        next_tail(blocks * 16), next_tail_pair(blocks, 0) {}
  std::vector<float> box_bounds;  // per block (the four-lane search)
  std::vector<uint32_t> blocks;   // blocks whose box is near
  std::vector<uint32_t> heads;    // of those, blocks with a row near over 16 coordinates
  std::vector<float> partial;     // their 16 rows' bounds over those
  std::vector<uint32_t> rows;     // rows near over kBoundDims coordinates
  std::vector<float> row_bounds;  // their bounds
  // Queries are searched in pairs (the AVX-512 search): the first of a pair
  // computes the second's bounds beside its own wherever it reads a block's
  // data (PairRole), so the second reads most blocks from here instead of
  // their 16 or 32 lines of weights again. Per block: the box bound, the
  // bound over 16 coordinates, over kBoundDims (the last two valid where
  // their `pair` entry is the pair's number).
  std::vector<float> next_box;
  std::vector<float> next_head;
  std::vector<uint32_t> next_head_pair;
  std::vector<float> next_tail;
  std::vector<uint32_t> next_tail_pair;
  uint32_t pair = 0;
};

// A query's part in a pair: alone, the first (also computes the second's
// bounds, for `q_next`), or the second (takes them where the first did).
enum class PairRole { kAlone, kFirst, kSecond };

// Rounding: the bounds are sums over rotated coordinates, rounded in the
// rotation (a few float ulps of |x - mean|, for query and row alike) and in
// their own sums; the whole distance is rounded a few ulps of itself, which
// is below that. A block or a row is skipped only when it loses by more.
inline float Slack(const PrunedBank& bank, const float* query) {
  return 1e-5f * (SquaredDistanceBelow(query, bank.mean, bank.dim, std::numeric_limits<float>::infinity()) +
                  bank.max_centred_norm);
}

// The squared distance from `query` (q: its first kBoundDims rotated
// coordinates) to its nearest bank row, whose position `nearest` holds on
// entry (a first row to beat) and on return; or `cap` (a squared distance,
// infinity for none) when no row is nearer than that: rows not nearer than
// `cap` are skipped like rows farther than the best so far.
// Three tests, each a true lower bound, so still exact:
//  - each block's box (the corners of its rows' first kBoxDims coordinates):
//    a block whose box is farther than the best row so far is skipped whole.
//    The blocks are kd-tree leaves, so their boxes are small;
//  - each row's distance over the first 16, then kBoundDims, coordinates,
//    16 rows a step (Gram form: |Pq|^2 + |Pb|^2 - 2 Pq.Pb);
//  - the whole distance, abandoned every 32 coordinates once it loses.
// `box_bound`: scratch, one float per block (padded to 16).
// Written twice: sixteen lanes for CPUs with AVX-512 (and dim a multiple of
// 16), four for any other. Both find the same row; the whole distance sums
// in another order, so floats may differ in the last bits between the two
// (never between runs or thread counts on one machine).
float NearestSquaredPortable(const PrunedBank& bank, const float* q, const float* query, float cap, size_t& nearest,
                             float* box_bound) {
  constexpr int kBound = XnnpackSearch::kBoundDims, kBox = XnnpackSearch::kBoxDims;
  for (size_t g = 0; g < bank.box_groups; ++g) {
    const float* low = bank.box_corners + g * 2 * kBox * 16;
    const float* high = low + kBox * 16;
    for (int l = 0; l < 16; l += 4) {
      f32x4 acc = Splat4(0.0f);
      for (int d = 0; d < kBox; ++d) {
        const f32x4 qd = Splat4(q[d]);
        const f32x4 gap = Max4(Max4(Load4(low + d * 16 + l) - qd, qd - Load4(high + d * 16 + l)), Splat4(0.0f));
        acc += gap * gap;
      }
      Store4(box_bound + g * 16 + l, acc);
    }
  }
  const float first = SquaredDistanceBelow(query, bank.rows + nearest * bank.dim, bank.dim, cap);
  float best = cap < first ? cap : first;
  const float q_norm = SquaredNorm(q, kBound);
  const float slack = Slack(bank, query);
  for (size_t b = 0; b < bank.blocks; ++b) {
    if (box_bound[b] > best * bank.block_shrink + slack) continue;
    const float* w = bank.bound_blocks + b * (kBound + 2) * 16;
    float bound[16];
    for (int l = 0; l < 16; l += 4) {
      f32x4 acc = Load4(w + kBound * 16 + l) + Load4(w + (kBound + 1) * 16 + l);
      for (int d = 0; d < kBound; ++d) acc += Splat4(q[d]) * Load4(w + d * 16 + l);
      Store4(bound + l, acc);
    }
    for (int k = 0; k < 16; ++k) {
      if (!(bound[k] < best * bank.row_shrink - q_norm + slack)) continue;
      const float d = SquaredDistanceBelow(query, bank.rows + (b * 16 + k) * bank.dim, bank.dim, best * bank.row_shrink);
      if (d < best) {
        best = d;
        nearest = b * 16 + k;
      }
    }
  }
  return best;
}

#if defined(__x86_64__)
bool HasAvx512() {
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
}

// The sum of the 16 lanes, by halves.
__attribute__((target("avx512f"), always_inline)) inline float Sum512(__m512 v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                                 _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  const __m128 t = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(t, _mm_shuffle_ps(t, t, 1)));
}

static_assert(XnnpackSearch::kBoundDims >= 16 && XnnpackSearch::kBoundDims % 4 == 0, "bound dims: 16 in registers, then fours");

// SquaredDistanceBelow in 16 lanes (dim a multiple of 16).
__attribute__((target("avx512f"), always_inline)) inline float SquaredDistanceBelow512(const float* a, const float* b,
                                                                                     int dim, float limit) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  for (int d = 0; d < dim; d += 32) {
    const __m512 x = _mm512_sub_ps(_mm512_loadu_ps(a + d), _mm512_loadu_ps(b + d));
    acc0 = _mm512_fmadd_ps(x, x, acc0);
    if (d + 16 < dim) {
      const __m512 y = _mm512_sub_ps(_mm512_loadu_ps(a + d + 16), _mm512_loadu_ps(b + d + 16));
      acc1 = _mm512_fmadd_ps(y, y, acc1);
    }
    if (d + 32 < dim && Sum512(_mm512_add_ps(acc0, acc1)) > limit) return std::numeric_limits<float>::infinity();
  }
  return Sum512(_mm512_add_ps(acc0, acc1));
}

// A detect's three banks (~5 MB on the cookies) do not fit in L2 together,
// and the blocks and rows a query reads are scattered (no stride for the
// hardware prefetcher): asking for them kAhead blocks (rows) early took 3 -
// 6% off each search's CPU on the Xeon of docs/speed.md's issue 20 CPU
// section (2 ahead; 4 and 8 less). Prefetches change no result.
constexpr size_t kAhead = 2;
inline void PrefetchHead(const float* w) {  // a block's first 16 coordinates' weights and their |.|^2
  for (int d = 0; d < 16; ++d) __builtin_prefetch(w + d * 16);
  __builtin_prefetch(w + XnnpackSearch::kBoundDims * 16);
}
inline void PrefetchRow(const float* row, int dim) {
  for (int d = 0; d < dim; d += 16) __builtin_prefetch(row + d);
}

// The bound of a block's 16 rows over their first 16 coordinates: the
// head |.|^2 plus four chains of products (one function, so a pair's two
// queries get it in the same order, the same floats).
__attribute__((target("avx512f"), always_inline)) inline __m512 HeadBound512(const float* w, const float* q) {
  constexpr int kBound = XnnpackSearch::kBoundDims;
  const __m512 zero = _mm512_setzero_ps();
  __m512 s0 = _mm512_loadu_ps(w + kBound * 16), s1 = zero, s2 = zero, s3 = zero;
  for (int d = 0; d < 16; d += 4) {
    s0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(w + d * 16), s0);
    s1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), _mm512_loadu_ps(w + (d + 1) * 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 2]), _mm512_loadu_ps(w + (d + 2) * 16), s2);
    s3 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 3]), _mm512_loadu_ps(w + (d + 3) * 16), s3);
  }
  return _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3));
}

// The same over all kBoundDims coordinates, from the head's bound.
__attribute__((target("avx512f"), always_inline)) inline __m512 FullBound512(const float* w, const float* q,
                                                                           __m512 head) {
  constexpr int kBound = XnnpackSearch::kBoundDims;
  const __m512 zero = _mm512_setzero_ps();
  __m512 s0 = _mm512_add_ps(head, _mm512_loadu_ps(w + (kBound + 1) * 16));
  __m512 s1 = zero, s2 = zero, s3 = zero;
  for (int d = 16; d < kBound; d += 4) {
    s0 = _mm512_fmadd_ps(_mm512_set1_ps(q[d]), _mm512_loadu_ps(w + d * 16), s0);
    s1 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 1]), _mm512_loadu_ps(w + (d + 1) * 16), s1);
    s2 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 2]), _mm512_loadu_ps(w + (d + 2) * 16), s2);
    s3 = _mm512_fmadd_ps(_mm512_set1_ps(q[d + 3]), _mm512_loadu_ps(w + (d + 3) * 16), s3);
  }
  return _mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3));
}

// A group's 16 box bounds over the first kBoxDims coordinates.
__attribute__((target("avx512f"), always_inline)) inline __m512 BoxBound512(const float* low, const float* q) {
  constexpr int kBox = XnnpackSearch::kBoxDims;
  const __m512 zero = _mm512_setzero_ps();
  const float* high = low + kBox * 16;
  __m512 acc = zero;
  for (int d = 0; d < kBox; ++d) {
    const __m512 qd = _mm512_set1_ps(q[d]);
    const __m512 gap = _mm512_max_ps(
        _mm512_max_ps(_mm512_sub_ps(_mm512_loadu_ps(low + d * 16), qd), _mm512_sub_ps(qd, _mm512_loadu_ps(high + d * 16))),
        zero);
    acc = _mm512_fmadd_ps(gap, gap, acc);
  }
  return acc;
}

__attribute__((target("avx512f"))) float NearestSquared512(const PrunedBank& bank, const float* q_rotated,
                                                          const float* query, float cap, size_t& nearest,
                                                          SearchScratch& scratch, PairRole role,
                                                          const float* q_next_rotated) {
  constexpr int kBound = XnnpackSearch::kBoundDims, kBox = XnnpackSearch::kBoxDims;
  // The rotated coordinates in this frame's own arrays: the scratch lists
  // below are floats too, and through pointers the compiler would have to
  // load and broadcast each coordinate again after every store to them.
  float q[kBound], q_next[kBound];
  std::memcpy(q, q_rotated, sizeof(q));
  if (q_next_rotated != nullptr) std::memcpy(q_next, q_next_rotated, sizeof(q_next));
  const __m512 zero = _mm512_setzero_ps();
  const __m512i lanes16 = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const float first = SquaredDistanceBelow512(query, bank.rows + nearest * bank.dim, bank.dim, cap);
  float best = cap < first ? cap : first;
  const float q_norm = SquaredNorm(q, kBound), q_head = SquaredNorm(q, 16);
  const float slack = Slack(bank, query);
  // Which test a block or row passes is unpredictable, and a mispredicted
  // branch costs as much as a block's bounds: each of the first three stages
  // runs without branches against that first row, packing what passes into
  // the next stage's list; only the whole distances lower the best as they go.
  // 1. Blocks whose box is nearer than the first row.
  uint32_t* blocks = scratch.blocks.data();
  size_t block_count = 0;
  const __m512 box_cut = _mm512_set1_ps(best * bank.block_shrink + slack);
  const uint32_t pair = scratch.pair;
  for (size_t g = 0; g < bank.box_groups; ++g) {
    const float* low = bank.box_corners + g * 2 * kBox * 16;
    __m512 acc;
    if (role == PairRole::kSecond) {
      acc = _mm512_loadu_ps(&scratch.next_box[g * 16]);
    } else {
      acc = BoxBound512(low, q);
      if (role == PairRole::kFirst) _mm512_storeu_ps(&scratch.next_box[g * 16], BoxBound512(low, q_next));
    }
    const __mmask16 near = _mm512_cmp_ps_mask(acc, box_cut, _CMP_LE_OQ);
    _mm512_mask_compressstoreu_epi32(blocks + block_count, near,
                                     _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(g * 16)), lanes16));
    block_count += __builtin_popcount(near);
  }
  // 2. Of those, blocks with a row whose first 16 coordinates are nearer
  // (the query's 16 held in registers; four sums, not one chain).
  const __m512 head_cut = _mm512_set1_ps(best * bank.row_shrink - q_head + slack);
  uint32_t* heads = scratch.heads.data();
  float* partial = scratch.partial.data();
  size_t head_count = 0;
  for (size_t c = 0; c < block_count; ++c) {
    const uint32_t block = blocks[c];
    const float* w = bank.bound_blocks + block * (kBound + 2) * 16;
    __m512 bound;
    if (role == PairRole::kSecond && scratch.next_head_pair[block] == pair) {
      bound = _mm512_loadu_ps(&scratch.next_head[block * 16]);
    } else {
      if (c + kAhead < block_count) PrefetchHead(bank.bound_blocks + blocks[c + kAhead] * (kBound + 2) * 16);
      bound = HeadBound512(w, q);
      if (role == PairRole::kFirst) {
        _mm512_storeu_ps(&scratch.next_head[block * 16], HeadBound512(w, q_next));
        scratch.next_head_pair[block] = pair;
      }
    }
    heads[head_count] = block;
    _mm512_storeu_ps(partial + head_count * 16, bound);
    head_count += _mm512_cmp_ps_mask(bound, head_cut, _CMP_LT_OQ) != 0;
  }
  // The row nearest over those 16 coordinates is often the nearest row, or
  // near it: its whole distance first tightens the cut of stage 3.
  if (head_count > 0) {
    __m512 least = _mm512_loadu_ps(partial);
    for (size_t c = 1; c < head_count; ++c) least = _mm512_min_ps(least, _mm512_loadu_ps(partial + c * 16));
    const __m512 m = _mm512_set1_ps(_mm512_reduce_min_ps(least));
    for (size_t c = 0; c < head_count; ++c) {
      const __mmask16 hit = _mm512_cmp_ps_mask(_mm512_loadu_ps(partial + c * 16), m, _CMP_EQ_OQ);
      if (hit == 0) continue;
      const size_t row = heads[c] * 16 + __builtin_ctz(hit);
      const float d = SquaredDistanceBelow512(query, bank.rows + row * bank.dim, bank.dim, best);
      if (d < best) {
        best = d;
        nearest = row;
      }
      break;
    }
  }
  // 3. Of those, rows nearer over all kBound coordinates.
  uint32_t* rows = scratch.rows.data();
  float* row_bounds = scratch.row_bounds.data();
  size_t row_count = 0;
  const __m512 cut = _mm512_set1_ps(best * bank.row_shrink - q_norm + slack);
  for (size_t c = 0; c < head_count; ++c) {
    const uint32_t block = heads[c];
    const float* w = bank.bound_blocks + block * (kBound + 2) * 16;
    __m512 bound;
    if (role == PairRole::kSecond && scratch.next_tail_pair[block] == pair) {
      bound = _mm512_loadu_ps(&scratch.next_tail[block * 16]);
    } else {
      bound = FullBound512(w, q, _mm512_loadu_ps(partial + c * 16));
      // The second's head bound is there: every head block passed the
      // first's box, where the first computed it.
      if (role == PairRole::kFirst) {
        _mm512_storeu_ps(&scratch.next_tail[block * 16],
                         FullBound512(w, q_next, _mm512_loadu_ps(&scratch.next_head[block * 16])));
        scratch.next_tail_pair[block] = pair;
      }
    }
    const __mmask16 pass = _mm512_cmp_ps_mask(bound, cut, _CMP_LT_OQ);
    _mm512_mask_compressstoreu_epi32(rows + row_count, pass,
                                     _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(heads[c] * 16)), lanes16));
    _mm512_mask_compressstoreu_ps(row_bounds + row_count, pass, bound);
    row_count += __builtin_popcount(pass);
  }
  // 4. Their whole distances, the best lowering as it goes.
  for (size_t r = 0; r < row_count && r < kAhead; ++r) PrefetchRow(bank.rows + size_t{rows[r]} * bank.dim, bank.dim);
  for (size_t r = 0; r < row_count; ++r) {
    if (r + kAhead < row_count) PrefetchRow(bank.rows + size_t{rows[r + kAhead]} * bank.dim, bank.dim);
    if (!(row_bounds[r] < best * bank.row_shrink - q_norm + slack)) continue;
    const float d =
        SquaredDistanceBelow512(query, bank.rows + size_t{rows[r]} * bank.dim, bank.dim, best * bank.row_shrink);
    if (d < best) {
      best = d;
      nearest = rows[r];
    }
  }
  return best;
}
#endif

// `role`, `q_next`: the query's part in a pair (the AVX-512 search only;
// the four-lane one searches each query alone).
float NearestSquared(const PrunedBank& bank, const float* q, const float* query, float cap, size_t& nearest,
                     SearchScratch& scratch, PairRole role = PairRole::kAlone, const float* q_next = nullptr) {
#if defined(__x86_64__)
  if (bank.dim % 16 == 0 && HasAvx512()) {
    return NearestSquared512(bank, q, query, cap, nearest, scratch, role, q_next);
  }
#endif
  return NearestSquaredPortable(bank, q, query, cap, nearest, scratch.box_bounds.data());
}

}  // namespace

struct XnnpackSearch::Operators {
  std::vector<xnn_operator_t> chunks;  // chunk c: bank rows [c * kChunkRows, ...)
  std::vector<float> products;         // kQueryBlock x kChunkRows (brute force)
  // Pruned search: queries into the basis.
  xnn_operator_t rotate = nullptr;
  std::vector<float> rotated;     // kQueryBlock x kBoundDims
  SearchScratch scratch;
  ~Operators() {
    for (xnn_operator_t op : chunks) xnn_delete_operator(op);
    if (rotate) xnn_delete_operator(rotate);
  }
};

XnnpackSearch::XnnpackSearch(size_t count, int dim, ParallelFor parallel)
    : count_(count), dim_(dim), parallel_(std::move(parallel)) {}

XnnpackSearch::~XnnpackSearch() = default;

StatusOr<std::unique_ptr<const NearestNeighborSearch>> XnnpackSearch::Create(const float* rows, size_t count, int dim,
                                                                            ParallelFor parallel, Method method,
                                                                            Approximation approximation) {
  for (const float e : {approximation.block_error, approximation.row_error}) {
    if (!(e >= 0 && e <= kMaxRelativeError)) {
      return InvalidInput("nearest-neighbour search: the relative error must be between 0 (exact) and " +
                          std::to_string(kMaxRelativeError) + ", got " + std::to_string(e));
    }
  }
  if (dim <= 0 || dim % 4 != 0) {  // as the portable index (its fallback) needs
    return InvalidInput("nearest-neighbour search: feature size must be a positive multiple of 4, got " +
                        std::to_string(dim));
  }
  const xnn_status init = xnn_initialize(nullptr);
  if (init != xnn_status_success) {
    return Internal("XNNPACK initialization failed (status " + std::to_string(static_cast<int>(init)) + ")");
  }
  std::unique_ptr<XnnpackSearch> s(new XnnpackSearch(count, dim, std::move(parallel)));
  const auto shrink = [](float e) { return 1.0f / ((1.0f + e) * (1.0f + e)); };  // exactly 1 when exact
  s->row_shrink_ = shrink(approximation.row_error);
  s->block_shrink_ = shrink(approximation.block_error);
  s->weights_.resize(count * dim);
  s->bias_.resize(count);
  for (size_t r = 0; r < count; ++r) {
    const float* row = rows + r * dim;
    for (int d = 0; d < dim; ++d) s->weights_[r * dim + d] = -2.0f * row[d];
    s->bias_[r] = SquaredNorm(row, dim);
  }
  s->pruned_ = dim >= kBoundDims && count > 0 &&
               (method == Method::kPruned || (method == Method::kAuto && count >= kMinPrunedRows));
  if (s->pruned_) RETURN_IF_ERROR(s->PreparePruning(rows));
  if (count > 0) {
    // One set now, so a setup XNNPACK refuses fails at load, not mid-detect.
    ASSIGN_OR_RETURN(std::unique_ptr<Operators> first, s->Build());
    s->idle_.push_back(std::move(first));
  }
  return std::unique_ptr<const NearestNeighborSearch>(std::move(s));
}

namespace {

// A fully-connected operator: `inputs` -> `outputs` channels, kernel row o
// the weights of output o.
Status CreateFullyConnected(size_t inputs, size_t outputs, size_t input_stride, size_t output_stride,
                            const float* kernel, const float* bias, xnn_operator_t* op) {
  const xnn_status status = xnn_create_fully_connected_nc_f32(
      inputs, outputs, input_stride, output_stride, kernel, bias, -std::numeric_limits<float>::infinity(),
      std::numeric_limits<float>::infinity(), 0, op);
  if (status != xnn_status_success) {
    return Internal("XNNPACK fully-connected operator for the nearest-neighbour search failed (status " +
                    std::to_string(static_cast<int>(status)) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status XnnpackSearch::PreparePruning(const float* rows) {
  const PrincipalAxes pca = ComputePrincipalAxes(rows, count_, dim_);
  const size_t dim = dim_;
  // Only the first kBoundDims axes: the bounds read those coordinates, and
  // the whole distances are summed on the rows as they are (which also keeps
  // a query that is a bank row at exactly 0).
  basis_.resize(kBoundDims * dim);
  basis_bias_.resize(kBoundDims);
  for (size_t k = 0; k < kBoundDims; ++k) {
    double shift = 0;
    for (size_t d = 0; d < dim; ++d) {
      basis_[k * dim + d] = static_cast<float>(pca.axes[k * dim + d]);
      shift += pca.axes[k * dim + d] * pca.mean[d];
    }
    basis_bias_[k] = static_cast<float>(-shift);
  }
  mean_.resize(dim);
  for (size_t d = 0; d < dim; ++d) mean_[d] = static_cast<float>(pca.mean[d]);
  // The bank rotated by the same operator as the queries.
  constexpr size_t kRotated = kBoundDims;
  std::vector<float> rotated(count_ * kRotated);
  xnn_operator_t rotate = nullptr;
  RETURN_IF_ERROR(CreateFullyConnected(dim, kRotated, dim, kRotated, basis_.data(), basis_bias_.data(), &rotate));
  const bool ran = xnn_setup_fully_connected_nc_f32(rotate, count_, rows, rotated.data(), nullptr) ==
                       xnn_status_success &&
                   xnn_run_operator(rotate, nullptr) == xnn_status_success;
  xnn_delete_operator(rotate);
  if (!ran) return Internal("XNNPACK failed rotating the nearest-neighbour bank");
  // Blocks of 16 rows that lie close together: the leaves of a kd-tree on
  // the first kBoxDims coordinates (split at a multiple of 16 rows, across
  // the coordinate of widest range). The order changes no distance.
  std::vector<size_t> order(count_);
  for (size_t r = 0; r < count_; ++r) order[r] = r;
  const auto split = [&](auto&& self, size_t begin, size_t end) -> void {
    if (end - begin <= 16) return;
    int widest = 0;
    float widest_range = -1;
    for (int d = 0; d < kBoxDims; ++d) {
      float low = std::numeric_limits<float>::infinity(), high = -low;
      for (size_t i = begin; i < end; ++i) {
        low = std::min(low, rotated[order[i] * kRotated + d]);
        high = std::max(high, rotated[order[i] * kRotated + d]);
      }
      if (high - low > widest_range) widest_range = high - low, widest = d;
    }
    const size_t mid = begin + ((end - begin) / 2 + 15) / 16 * 16;
    // Ties broken by row number: the same order on every run.
    std::nth_element(order.begin() + begin, order.begin() + mid, order.begin() + end, [&](size_t x, size_t y) {
      const float vx = rotated[x * kRotated + widest], vy = rotated[y * kRotated + widest];
      return vx < vy || (vx == vy && x < y);
    });
    self(self, begin, mid);
    self(self, mid, end);
  };
  split(split, 0, count_);
  block_count_ = (count_ + 15) / 16;
  const size_t groups = (block_count_ + 15) / 16;
  rows_.assign(block_count_ * 16 * dim, 0.0f);
  bound_blocks_.assign(block_count_ * (kBoundDims + 2) * 16, 0.0f);
  // Padding blocks' boxes are empty (low above high): an infinite bound.
  box_corners_.resize(groups * 2 * kBoxDims * 16);
  for (size_t g = 0; g < groups; ++g) {
    std::fill_n(&box_corners_[g * 2 * kBoxDims * 16], kBoxDims * 16, std::numeric_limits<float>::infinity());
    std::fill_n(&box_corners_[(g * 2 + 1) * kBoxDims * 16], kBoxDims * 16, -std::numeric_limits<float>::infinity());
  }
  for (size_t r = 0; r < block_count_ * 16; ++r) {
    const size_t b = r / 16, lane = r % 16;
    float* block = &bound_blocks_[b * (kBoundDims + 2) * 16];
    if (r >= count_) {  // padding: never passes
      block[kBoundDims * 16 + lane] = block[(kBoundDims + 1) * 16 + lane] = std::numeric_limits<float>::infinity();
      continue;
    }
    std::copy(rows + order[r] * dim, rows + (order[r] + 1) * dim, &rows_[r * dim]);
    max_centred_norm_ = std::max(max_centred_norm_, SquaredDistanceBelow(rows + order[r] * dim, mean_.data(), dim_,
                                                                         std::numeric_limits<float>::infinity()));
    const float* row = &rotated[order[r] * kRotated];
    for (int d = 0; d < kBoundDims; ++d) block[d * 16 + lane] = -2.0f * row[d];
    const float head = SquaredNorm(row, 16), bias = SquaredNorm(row, kBoundDims);
    block[kBoundDims * 16 + lane] = head;
    block[(kBoundDims + 1) * 16 + lane] = bias - head;
    float* low = &box_corners_[(b / 16) * 2 * kBoxDims * 16];
    float* high = low + kBoxDims * 16;
    for (int d = 0; d < kBoxDims; ++d) {
      low[d * 16 + b % 16] = std::min(low[d * 16 + b % 16], row[d]);
      high[d * 16 + b % 16] = std::max(high[d * 16 + b % 16], row[d]);
    }
  }
  return Status::Ok();
}

StatusOr<std::unique_ptr<XnnpackSearch::Operators>> XnnpackSearch::Build() const {
  auto ops = std::make_unique<Operators>();
  if (pruned_) {
    RETURN_IF_ERROR(
        CreateFullyConnected(dim_, kBoundDims, dim_, kBoundDims, basis_.data(), basis_bias_.data(), &ops->rotate));
    ops->rotated.resize(kQueryBlock * kBoundDims);
    ops->scratch = SearchScratch((block_count_ + 15) / 16 * 16);
    return ops;
  }
  for (size_t r0 = 0; r0 < count_; r0 += kChunkRows) {
    const size_t rows = std::min(kChunkRows, count_ - r0);
    xnn_operator_t op = nullptr;
    const xnn_status status = xnn_create_fully_connected_nc_f32(
        dim_, rows, /*input_stride=*/dim_, /*output_stride=*/kChunkRows, &weights_[r0 * dim_], &bias_[r0],
        -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity(), 0, &op);
    if (status != xnn_status_success) {
      return Internal("XNNPACK fully-connected operator for the nearest-neighbour search failed (status " +
                      std::to_string(static_cast<int>(status)) + ")");
    }
    ops->chunks.push_back(op);
  }
  ops->products.resize(kQueryBlock * kChunkRows);
  return ops;
}

std::unique_ptr<XnnpackSearch::Operators> XnnpackSearch::Take() const {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      std::unique_ptr<Operators> ops = std::move(idle_.back());
      idle_.pop_back();
      return ops;
    }
    lock.unlock();
    StatusOr<std::unique_ptr<Operators>> built = Build();  // outside the lock: packing takes a while
    lock.lock();
    if (built.ok()) return std::move(built).value();
    // Out of memory for another set: wait for one in use (one always exists).
    returned_.wait(lock, [this] { return !idle_.empty(); });
  }
}

void XnnpackSearch::Give(std::unique_ptr<Operators> ops) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(ops));
  }
  returned_.notify_one();
}

std::vector<float> XnnpackSearch::Fallback(const float* queries, size_t count, const float* bounds) const {
  std::call_once(fallback_once_, [this] {
    std::fprintf(stderr, "anomalens: XNNPACK failed in the nearest-neighbour search; using the portable search\n");
    std::vector<float> rows(weights_.size());
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = -0.5f * weights_[i];  // exact: undoes the -2
    fallback_ = std::make_unique<NearestNeighborIndex>(rows.data(), count_, dim_);
  });
  return bounds ? fallback_->MinDistancesWithin(queries, count, bounds) : fallback_->MinDistances(queries, count);
}

bool XnnpackSearch::Search(Operators& ops, const float* queries, size_t q0, size_t q1, const float* bounds,
                           float* result) const {
  float best[kQueryBlock];
  for (; q0 < q1; q0 += kQueryBlock) {
    const size_t queries_here = std::min(kQueryBlock, q1 - q0);
    std::fill(best, best + kQueryBlock, std::numeric_limits<float>::infinity());
    for (size_t c = 0; c < ops.chunks.size(); ++c) {
      const size_t rows = std::min(kChunkRows, count_ - c * kChunkRows);
      // No XNNPACK thread pool: this runs on one of ours (or the caller).
      if (xnn_setup_fully_connected_nc_f32(ops.chunks[c], queries_here, queries + q0 * dim_, ops.products.data(),
                                           nullptr) != xnn_status_success ||
          xnn_run_operator(ops.chunks[c], nullptr) != xnn_status_success) {
        return false;
      }
      for (size_t i = 0; i < queries_here; ++i) best[i] = std::min(best[i], MinOf(&ops.products[i * kChunkRows], rows));
    }
    for (size_t i = 0; i < queries_here; ++i) {
      const float squared = SquaredNorm(queries + (q0 + i) * dim_, dim_) + best[i];
      result[q0 + i] = squared > 0.0f ? std::sqrt(squared) : 0.0f;  // rounding can dip below 0
      if (bounds && bounds[q0 + i] < result[q0 + i]) result[q0 + i] = bounds[q0 + i];
    }
  }
  return true;
}

bool XnnpackSearch::SearchPruned(Operators& ops, const float* queries, size_t q0, size_t q1, const float* bounds,
                                 float* result) const {
  const PrunedBank bank{rows_.data(), mean_.data(), bound_blocks_.data(), box_corners_.data(), block_count_,
                        (block_count_ + 15) / 16, dim_, max_centred_norm_, row_shrink_, block_shrink_};
  // A first row to beat: the previous query's nearest (queries are patches
  // in raster order, neighbours look alike). Any row keeps the search exact;
  // a near one prunes more. The approximate search's answer depends on
  // that start, so each block of queries starts from row 0: blocks are cut
  // the same whatever the threads, and so are the answers.
  for (; q0 < q1; q0 += kQueryBlock) {
    size_t nearest = 0;
    const size_t queries_here = std::min(kQueryBlock, q1 - q0);
    if (xnn_setup_fully_connected_nc_f32(ops.rotate, queries_here, queries + q0 * dim_, ops.rotated.data(),
                                         nullptr) != xnn_status_success ||
        xnn_run_operator(ops.rotate, nullptr) != xnn_status_success) {
      return false;
    }
    for (size_t i = 0; i < queries_here; ++i) {
      const float* query = queries + (q0 + i) * dim_;
      // In pairs (SearchScratch): the same bounds, so the same answers, as alone.
      PairRole role = PairRole::kAlone;
      const float* q_next = nullptr;
      if (i % 2 == 1) {
        role = PairRole::kSecond;
      } else if (i + 1 < queries_here) {
        role = PairRole::kFirst;
        q_next = &ops.rotated[(i + 1) * kBoundDims];
        if (++ops.scratch.pair == 0) {  // wrapped: no entry may claim the new number
          std::fill(ops.scratch.next_head_pair.begin(), ops.scratch.next_head_pair.end(), 0);
          std::fill(ops.scratch.next_tail_pair.begin(), ops.scratch.next_tail_pair.end(), 0);
          ops.scratch.pair = 1;
        }
      }
      if (bounds == nullptr) {
        result[q0 + i] = std::sqrt(NearestSquared(bank, &ops.rotated[i * kBoundDims], query,
                                                  std::numeric_limits<float>::infinity(), nearest, ops.scratch,
                                                  role, q_next));
        continue;
      }
      // Capped: the bound itself (not its square's root) when no row is nearer.
      const float bound = bounds[q0 + i], cap = bound * bound;
      const float best =
          NearestSquared(bank, &ops.rotated[i * kBoundDims], query, cap, nearest, ops.scratch, role, q_next);
      result[q0 + i] = best < cap ? std::min(std::sqrt(best), bound) : bound;
    }
  }
  return true;
}

std::vector<float> XnnpackSearch::MinDistances(const float* queries, size_t count) const {
  return Distances(queries, count, nullptr);
}

std::vector<float> XnnpackSearch::MinDistancesWithin(const float* queries, size_t count, const float* bounds) const {
  return Distances(queries, count, bounds);
}

std::vector<float> XnnpackSearch::Distances(const float* queries, size_t count, const float* bounds) const {
  std::vector<float> result(count, 0.0f);
  if (count_ == 0 && bounds) {  // nothing nearer than the bounds
    std::copy(bounds, bounds + count, result.begin());
    return result;
  }
  if (count_ == 0 || count == 0) return result;
  // Each distance depends only on its query, so the split does not change it.
  std::atomic<bool> failed{false};
  const size_t blocks = (count + kQueryBlock - 1) / kQueryBlock;
  parallel_(blocks, [&](size_t b0, size_t b1) {
    std::unique_ptr<Operators> ops = Take();
    const size_t q0 = b0 * kQueryBlock, q1 = std::min(count, b1 * kQueryBlock);
    if (!(pruned_ ? SearchPruned(*ops, queries, q0, q1, bounds, result.data())
                  : Search(*ops, queries, q0, q1, bounds, result.data())))
      failed = true;
    Give(std::move(ops));
  });
  return failed ? Fallback(queries, count, bounds) : result;
}

BuildSearch XnnpackSearchBuilder(ParallelFor parallel, bool exact) {
  // For comparisons (bench/, agreement checks): ANOMALENS_SEARCH=brute-force
  // (the plain path everywhere) or pruned (every bank, however small), and
  // ANOMALENS_SEARCH_BLOCK_ERROR=E and ANOMALENS_SEARCH_ROW_ERROR=E other
  // errors for the approximate one (Create refuses values out of range).
  const char* chosen = std::getenv("ANOMALENS_SEARCH");
  XnnpackSearch::Method method = XnnpackSearch::Method::kAuto;
  if (chosen && std::strcmp(chosen, "brute-force") == 0) method = XnnpackSearch::Method::kBruteForce;
  if (chosen && std::strcmp(chosen, "pruned") == 0) method = XnnpackSearch::Method::kPruned;
  XnnpackSearch::Approximation approximation{};  // exact
  if (!exact) {
    approximation = XnnpackSearch::kDefaultApproximation;
    const char* block = std::getenv("ANOMALENS_SEARCH_BLOCK_ERROR");
    const char* row = std::getenv("ANOMALENS_SEARCH_ROW_ERROR");
    if (block && *block) approximation.block_error = std::strtof(block, nullptr);
    if (row && *row) approximation.row_error = std::strtof(row, nullptr);
  }
  return [parallel, method, approximation](const float* rows, size_t count, int dim) {
    return XnnpackSearch::Create(rows, count, dim, parallel, method, approximation);
  };
}

}  // namespace anomalens
