#include "smooth.h"

#include "kernels.h"

#include <algorithm>
#include <cmath>

namespace asterism {

std::vector<float> gaussianKernel(double sigma) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma)));
  std::vector<double> k(2 * radius + 1);
  double sum = 0;
  for (int i = -radius; i <= radius; ++i) {
    k[i + radius] = std::exp(-0.5 * i * i / (sigma * sigma));
    sum += k[i + radius];
  }
  std::vector<float> out(k.size());
  for (size_t i = 0; i < k.size(); ++i) out[i] = static_cast<float>(k[i] / sum);
  return out;
}

RowSmoother::RowSmoother(const PixelMask& mask, const BackgroundGrid& grid, int width, int height,
                         double sigma)
    : mask_(mask), grid_(grid), width_(width), height_(height), kernel_(gaussianKernel(sigma)) {
  radius_ = static_cast<int>(kernel_.size() / 2);
  taps_ = 2 * radius_ + 1;
  // Padding keeps rows of power-of-two widths from all mapping to the same cache sets.
  pitch_ = static_cast<size_t>(width) + 16;
  ring_.assign(pitch_ * taps_, 0.0f);
  slotRow_.assign(static_cast<size_t>(taps_), -1);
  flat_.assign(static_cast<size_t>(width), 0.0f);
}

void RowSmoother::horizontal(int y, float* dst) {
  flattenRow(mask_, grid_, width_, y, background_, flat_.data());
  // One kernel tap at a time over the whole row: sequential memory and no bounds checks in the
  // inner loop, so it vectorises. Pixels beyond the frame count as 0, the background level. The
  // first tap writes where it reaches (0 + w*v is w*v exactly) and zeros the rest.
  const float* src = flat_.data();
  const int reach = std::min(radius_, width_);
  std::fill(dst, dst + reach, 0.0f);
  if (width_ > reach) kernels::scale(dst + reach, src, kernel_[0], width_ - reach);
  for (int j = -radius_ + 1; j <= radius_; ++j) {
    const int x0 = std::max(0, -j);
    const int x1 = std::min(width_, width_ - j);
    if (x1 > x0) kernels::accumulate(dst + x0, src + x0 + j, kernel_[j + radius_], x1 - x0);
  }
}

void RowSmoother::combine(int y, float* out) {
  // The first tap in the frame writes (0 + w*v is w*v exactly), the others accumulate.
  bool first = true;
  for (int j = -radius_; j <= radius_; ++j) {
    const int yy = y + j;
    if (yy < 0 || yy >= height_) continue;
    const float w = kernel_[j + radius_];
    if (first) kernels::scale(out, slot(yy), w, width_);
    else kernels::accumulate(out, slot(yy), w, width_);
    first = false;
  }
}

void RowSmoother::row(int y, float* out) {
  // Rows already in the ring are reused: consecutive calls (the noise lattice asks for rows a
  // few apart) then smooth each row once instead of once per neighbour.
  for (int j = -radius_; j <= radius_; ++j) {
    const int yy = y + j;
    if (yy < 0 || yy >= height_) continue;
    const size_t s = static_cast<size_t>(yy % taps_);
    if (slotRow_[s] != yy) {
      horizontal(yy, slot(yy));
      slotRow_[s] = yy;
    }
  }
  combine(y, out);
}

}  // namespace asterism
