// Tiling: large working images are processed as overlapping tiles, which
// bounds the backbone's memory whatever the image size (a 4096 x 4096 image
// at full resolution would need gigabytes of activations in one piece), and
// their patch features are blended across the overlaps so no seam shows.
#ifndef ANOMALENS_CORE_FEATURES_TILING_H_
#define ANOMALENS_CORE_FEATURES_TILING_H_

#include <vector>

namespace anomalens {

struct TilingConfig {
  int tile = 640;    // largest tile side, working pixels (a multiple of 16)
  int overlap = 64;  // least overlap between neighbouring tiles (a multiple of 16)
};

// One axis of a tile plan: tile i covers [start[i], start[i] + length[i]).
struct TileAxis {
  std::vector<int> start;
  std::vector<int> length;
};

// Splits an axis of `extent` pixels into tiles of at most `tile` pixels that
// overlap by at least `overlap`, all starts and lengths multiples of
// `multiple`. One tile when extent <= tile. Tiles are spread evenly, so the
// same extent is always tiled the same way.
TileAxis PlanTileAxis(int extent, int tile, int overlap, int multiple);

// Blend weight of cell `c` (in the axis' cell units, cell = `cell` pixels)
// within tile `i`: 1 in the tile's own part, falling linearly to 0 across
// each overlap with a neighbour, so that the weights of overlapping tiles
// sum to 1 at every cell.
float TileBlendWeight(const TileAxis& axis, int i, int c, int cell);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_FEATURES_TILING_H_
