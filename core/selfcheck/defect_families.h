// The families' painters, one file each, called by SynthesizeDefect. Each
// gets a copy of the input in `out.image` and a zeroed `out.mask`, owns
// `count` pixels in the mask, changes pixels only there, and sets
// `out.variant`.
#ifndef ANOMALENS_CORE_SELFCHECK_DEFECT_FAMILIES_H_
#define ANOMALENS_CORE_SELFCHECK_DEFECT_FAMILIES_H_

#include <cstddef>

#include "core/image/image.h"
#include "core/selfcheck/defect_random.h"
#include "core/selfcheck/synthetic_defect.h"

namespace anomalens {

struct DefectRequest {
  const RgbImage& source;
  const RgbImage* donor;  // set for the texture family
  size_t count;           // pixels to own
  double contrast;
};

void PaintSpot(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out);
void PaintScratch(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out);
void PaintCutPaste(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out);
void PaintTexture(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out);
void PaintLocalChange(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out);
void PaintMissingPiece(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out);
void PaintForeignMaterial(const DefectRequest& request, DefectRandom& rng, SyntheticDefect& out);

}  // namespace anomalens

#endif  // ANOMALENS_CORE_SELFCHECK_DEFECT_FAMILIES_H_
