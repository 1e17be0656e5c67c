// Masking and the background model (the paper's "median-filter flattening").
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

namespace asterism {

// Pixels to ignore: non-finite values, and flat padding (pixels equal to the frame's minimum
// whose in-frame, finite neighbours all equal it too). The padding flags are allocated only when
// the frame has such a run; `padding` stays empty otherwise.
struct PixelMask {
  const float* pixels = nullptr;
  std::vector<uint8_t> padding;
  int64_t masked = 0;
  bool isMasked(size_t i) const {
    return !std::isfinite(pixels[i]) || (!padding.empty() && padding[i] != 0);
  }
};
PixelMask buildMask(const float* pixels, int width, int height);

// Natural cubic spline helpers. Between knots the spline is evaluated as a cubic in the
// distance from the left knot (Horner form); outside the knots it continues linearly with its
// end slope. `stride` steps through values and curvatures stored with a pitch.
void splineCurvature(const double* knots, const double* values, int n, int stride,
                     double* curvature);
double splineValue(const double* knots, const double* values, const double* curvature, int n,
                   int stride, double x);
// out[x] = spline value at x = 0 .. count-1 (contiguous values and curvatures).
void splineRow(const double* knots, const double* values, const double* curvature, int n,
               int count, float* out);

// The pixels the background samples: every `stride`-th row and column of each cell, from the
// cell's first row and column, with stride = max(1, box / 32) (about 32 x 32 samples a cell: a
// median of ~1000 values is precise to 4 % of the noise, and sampling keeps large frames cheap).
struct SampleGrid {
  int nx = 0, ny = 0, stride = 1;
  std::vector<int> cellX, cellY;          // cell boundaries: nx + 1 and ny + 1 entries
  std::vector<int> xs, ys;                // sampled columns and rows, ascending
  std::vector<int> colStart, rowStart;    // per cell (+1): first index into xs / ys
  std::vector<int> rowIndex;              // per image row: its index in ys, or -1
  size_t size() const { return xs.size() * ys.size(); }
};
SampleGrid makeSampleGrid(int width, int height, int box);

// Coarse background: the median of each backgroundBox cell (about 40 x 40 samples of it), gaps
// filled from neighbouring cells, and a natural cubic spline through the cell centres in y then
// x. A spline rather than bilinear steps, because vignetting curves the sky by more than a faint
// star rises above it once the matched filter has lowered the noise.
struct BackgroundGrid {
  int nx = 0, ny = 0;
  std::vector<double> centreX, centreY;  // cell centres in pixels
  std::vector<double> level;             // ny * nx medians, row-major
  std::vector<double> curvatureY;        // spline second derivatives down each grid column
  // Background along row y for x = 0 .. width-1.
  void row(int y, int width, float* out) const;
  double valueAt(double x, double y) const;
  double median() const;
};
// Returns false when no cell has enough valid samples.
bool estimateBackground(const PixelMask& mask, const SampleGrid& samples, int width, int height,
                        BackgroundGrid& grid);

// out[x] = pixel - background along row y, and 0 where masked.
void flattenRow(const PixelMask& mask, const BackgroundGrid& grid, int width, int y,
                std::vector<float>& background, float* out);

}  // namespace asterism
