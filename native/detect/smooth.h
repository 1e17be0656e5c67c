// Matched filter: a separable Gaussian of the PSF's width raises faint stars above the noise.
// The flattened frame is never stored: rows are flattened, smoothed in x into a ring of 2r+1
// rows, and combined in y as they are needed, so a 16-megapixel frame costs a few rows of
// memory instead of two more 64 MB planes (page faults on such planes cost more than the work).
#pragma once

#include <vector>

#include "flatten.h"

namespace asterism {

// Normalised 1-D kernel of radius max(1, ceil(3 sigma)).
std::vector<float> gaussianKernel(double sigma);

class RowSmoother {
 public:
  RowSmoother(const PixelMask& mask, const BackgroundGrid& grid, int width, int height,
              double sigma);

  // Smoothed row y computed on its own (for sparse access such as the noise lattice).
  void row(int y, float* out);

  // Calls visit(y, row) for y = 0 .. height-1 in order, reusing horizontally smoothed rows.
  // While visiting row y, recentRow(y - 1) and recentRow(y - 2) are still valid.
  template <typename Visit>
  void forEachRow(Visit visit) {
    slotRow_.assign(static_cast<size_t>(taps_), -1);  // the ring is overwritten below
    recent_.assign(static_cast<size_t>(width_) * 3, 0.0f);
    for (int y = 0; y < std::min(radius_, height_); ++y) horizontal(y, slot(y));
    for (int y = 0; y < height_; ++y) {
      if (y + radius_ < height_) horizontal(y + radius_, slot(y + radius_));
      float* out = recent_.data() + static_cast<size_t>(y % 3) * width_;
      combine(y, out);
      visit(y, static_cast<const float*>(out));
    }
  }
  const float* recentRow(int y) const {
    return recent_.data() + static_cast<size_t>(y % 3) * width_;
  }

 private:
  float* slot(int y) { return ring_.data() + pitch_ * static_cast<size_t>(y % taps_); }
  void horizontal(int y, float* dst);
  void combine(int y, float* out);

  const PixelMask& mask_;
  const BackgroundGrid& grid_;
  int width_, height_, radius_, taps_;
  size_t pitch_;
  std::vector<float> kernel_, ring_, flat_, background_, recent_;
  std::vector<int> slotRow_;  // image row held by each ring slot, -1 when none (row() only)
};

}  // namespace asterism
