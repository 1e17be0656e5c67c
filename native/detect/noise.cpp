#include "noise.h"

#include <algorithm>
#include <cmath>

namespace asterism {

int noiseLatticeStep(int width, int height, int offset, int targetPairs) {
  const double positions = static_cast<double>(width - offset) * (height - offset);
  return std::max(1, static_cast<int>(std::floor(std::sqrt(positions / targetPairs))));
}

double noiseFromDifferences(std::vector<float>& diffs) {
  if (diffs.empty()) return 0;
  double sumSq = 0;
  for (float d : diffs) sumSq += static_cast<double>(d) * d;
  const size_t k = diffs.size() / 2;
  std::nth_element(diffs.begin(), diffs.begin() + static_cast<std::ptrdiff_t>(k), diffs.end());
  const double fromMedian = diffs[k] / 0.9538725524089;
  if (fromMedian > 0) return fromMedian;
  return std::sqrt(sumSq / diffs.size() / 2.0);
}

double estimateNoise(const PixelMask& mask, int width, int height, int offset) {
  if (width <= offset || height <= offset) return 0;
  const int step = noiseLatticeStep(width, height, offset);
  std::vector<float> diffs;
  for (int y = 0; y + offset < height; y += step) {
    const size_t row = static_cast<size_t>(y) * width;
    const size_t row2 = static_cast<size_t>(y + offset) * width;
    for (int x = 0; x + offset < width; x += step) {
      if (mask.isMasked(row + x) || mask.isMasked(row2 + x + offset)) continue;
      diffs.push_back(std::fabs(mask.pixels[row + x] - mask.pixels[row2 + x + offset]));
    }
  }
  return noiseFromDifferences(diffs);
}

}  // namespace asterism
