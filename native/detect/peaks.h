// Objects and peaks with saddle deblending, over the significant pixels only.
#pragma once

#include <cstdint>
#include <vector>

namespace asterism {

struct SignificantPixel {
  int64_t index;  // y * width + x
  float value;    // smoothed value
};

// Significant pixels are visited from the brightest down (ties: lower index first) and joined
// to their 8-connected, already-visited neighbours with a union-find: each connected set is an
// object, and each pixel with no visited neighbour starts a peak. When two sets meet at a saddle,
// the one with the lower peak is absorbed; its peak is kept as a separate star only if it stands
// at least `minProminence` above that saddle. Every object keeps its highest peak. Sorts
// `pixels`; returns the kept peaks' pixel indices, highest first.
std::vector<int64_t> findPeaks(std::vector<SignificantPixel>& pixels, int width, int height,
                               double minProminence);

}  // namespace asterism
