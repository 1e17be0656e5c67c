// Noise from pixel pairs: the difference of two pixels `offset` rows and columns apart has
// variance 2 sigma^2 when they are independent; its median absolute value is robust to stars,
// and the difference cancels any smooth background, so raw pixels can be used.
#pragma once

#include <vector>

#include "flatten.h"

namespace asterism {

// Spacing of the regular lattice of pair origins that gives about targetPairs pairs.
int noiseLatticeStep(int width, int height, int offset, int targetPairs = 4000);

// Sigma from |differences| (reorders them): median / (0.67449 sqrt 2), or, when the median is
// zero (quantised, nearly noiseless data), the RMS / sqrt 2. Returns 0 for no differences.
double noiseFromDifferences(std::vector<float>& absDiffs);

// Noise of the raw frame; masked pixels are skipped.
double estimateNoise(const PixelMask& mask, int width, int height, int offset);

}  // namespace asterism
