#include "flatten.h"

#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace asterism {

PixelMask buildMask(const float* pixels, int width, int height) {
  PixelMask mask;
  mask.pixels = pixels;
  const size_t n = static_cast<size_t>(width) * height;
  // Two branch-free passes vectorise; one pass with branches for the minimum and its count took
  // three times as long on a 16-megapixel frame.
  float minValue;
  int64_t nonFinite;
  kernels::finiteMin(pixels, static_cast<int64_t>(n), minValue, nonFinite);
  mask.masked = nonFinite;
  const int64_t minCount =
      std::isfinite(minValue) ? kernels::countEqual(pixels, static_cast<int64_t>(n), minValue) : 0;
  // Padding (black borders from rotation or stacking, transparent regions) is a flat run of the
  // minimum value. Noise makes such runs vanishingly rare in real sky. A frame corner has 4
  // pixels in its 3x3 box, so fewer minima cannot form a run and the scan is skipped.
  if (!std::isfinite(minValue) || minCount < 4) return mask;
  std::vector<uint8_t> padding(n, 0);
  int64_t found = 0;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const size_t i = static_cast<size_t>(y) * width + x;
      if (pixels[i] != minValue) continue;
      bool flat = true;
      for (int dy = -1; dy <= 1 && flat; ++dy) {
        const int yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const float w = pixels[static_cast<size_t>(yy) * width + xx];
          if (std::isfinite(w) && w != minValue) { flat = false; break; }
        }
      }
      if (flat) { padding[i] = 1; ++found; }
    }
  }
  // A frame that is all minimum is constant, not padded.
  if (found > 0 && found < static_cast<int64_t>(n) - mask.masked) {
    mask.padding.swap(padding);
    mask.masked += found;
  }
  return mask;
}

namespace {

// The element of rank floor(n/2): a selection, not a sort, because sorting every cell is what
// makes a median background slow.
double selectMedian(std::vector<float>& values) {
  const size_t k = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

int cellCount(int length, int box) {
  const int count = static_cast<int>(std::lround(static_cast<double>(length) / box));
  return std::max(1, count);
}

}  // namespace

void splineCurvature(const double* knots, const double* values, int n, int stride,
                     double* curvature) {
  // Second derivatives m of the natural spline (m[0] = m[n-1] = 0), by the Thomas algorithm on
  // the tridiagonal system h[i-1] m[i-1] + 2 (h[i-1] + h[i]) m[i] + h[i] m[i+1] = 6 (slope
  // differences).
  for (int i = 0; i < n; ++i) curvature[i] = 0;
  if (n < 3) return;
  std::vector<double> diag(n, 0), rhs(n, 0);
  for (int i = 1; i < n - 1; ++i) {
    const double h0 = knots[i] - knots[i - 1], h1 = knots[i + 1] - knots[i];
    diag[i] = 2 * (h0 + h1);
    rhs[i] = 6 * ((values[(i + 1) * stride] - values[i * stride]) / h1 -
                  (values[i * stride] - values[(i - 1) * stride]) / h0);
  }
  // Parabolic runout (m[0] = m[1], m[n-1] = m[n-2]): vignetting keeps curving out to the frame's
  // edges, half a cell beyond the outer knots, where a natural spline would go straight.
  diag[1] += knots[1] - knots[0];
  diag[n - 2] += knots[n - 1] - knots[n - 2];
  for (int i = 2; i < n - 1; ++i) {
    const double h = knots[i] - knots[i - 1];
    const double w = h / diag[i - 1];
    diag[i] -= w * h;
    rhs[i] -= w * rhs[i - 1];
  }
  for (int i = n - 2; i >= 1; --i) {
    const double h = knots[i + 1] - knots[i];
    curvature[i] = (rhs[i] - (i + 1 < n - 1 ? h * curvature[i + 1] : 0.0)) / diag[i];
  }
  curvature[0] = curvature[1];
  curvature[n - 1] = curvature[n - 2];
}

namespace {

// Cubic of segment i in u = x - knots[i]: v + u (b + u (c + u d)).
struct Segment {
  double v, b, c, d;
};

Segment segment(const double* knots, const double* values, const double* curvature, int stride,
                int i) {
  const double h = knots[i + 1] - knots[i];
  const double v0 = values[i * stride], v1 = values[(i + 1) * stride];
  const double m0 = curvature[i * stride], m1 = curvature[(i + 1) * stride];
  return {v0, (v1 - v0) / h - h * (2 * m0 + m1) / 6, m0 / 2, (m1 - m0) / (6 * h)};
}

}  // namespace

double splineValue(const double* knots, const double* values, const double* curvature, int n,
                   int stride, double x) {
  if (n == 1) return values[0];
  // Outside the knots the end segments' cubics continue (parabolas under parabolic runout).
  int i = 0;
  while (i < n - 2 && x >= knots[i + 1]) ++i;
  const Segment s = segment(knots, values, curvature, stride, i);
  const double u = x - knots[i];
  return s.v + u * (s.b + u * (s.c + u * s.d));
}

void splineRow(const double* knots, const double* values, const double* curvature, int n,
               int count, float* out) {
  if (n == 1) {
    for (int x = 0; x < count; ++x) out[x] = static_cast<float>(values[0]);
    return;
  }
  // Walk the segments once instead of searching for each pixel's. For integer x, x < k exactly
  // when x < ceil(k), so every inner loop has a fixed trip count and vectorises.
  int x = 0;
  for (int i = 0; i < n - 1; ++i) {
    const Segment s = segment(knots, values, curvature, 1, i);
    const int end = i == n - 2 ? count
                               : static_cast<int>(std::clamp(std::ceil(knots[i + 1]), static_cast<double>(x),
                                                             static_cast<double>(count)));
    if (end > x) kernels::cubic(out + x, x, end - x, knots[i], s.v, s.b, s.c, s.d);
    x = std::max(x, end);
  }
}

namespace {

// The spline through each grid column evaluated at row y, and the curvatures across them.
void rowKnots(const BackgroundGrid& g, double y, std::vector<double>& values,
              std::vector<double>& curvature) {
  values.resize(static_cast<size_t>(g.nx));
  curvature.resize(static_cast<size_t>(g.nx));
  for (int cx = 0; cx < g.nx; ++cx) {
    values[cx] = splineValue(g.centreY.data(), g.level.data() + cx, g.curvatureY.data() + cx,
                             g.ny, g.nx, y);
  }
  splineCurvature(g.centreX.data(), values.data(), g.nx, 1, curvature.data());
}

}  // namespace

void BackgroundGrid::row(int y, int width, float* out) const {
  std::vector<double> values, curvature;
  rowKnots(*this, y, values, curvature);
  splineRow(centreX.data(), values.data(), curvature.data(), nx, width, out);
}

double BackgroundGrid::valueAt(double x, double y) const {
  std::vector<double> values, curvature;
  rowKnots(*this, y, values, curvature);
  return splineValue(centreX.data(), values.data(), curvature.data(), nx, 1, x);
}

double BackgroundGrid::median() const {
  std::vector<float> copy(level.begin(), level.end());
  return copy.empty() ? 0.0 : selectMedian(copy);
}

namespace {

constexpr int kCellMeanPasses = 3;
constexpr int kCellMeanSamples = 5;  // per axis

void fitColumnCurvatures(BackgroundGrid& grid) {
  const int nx = grid.nx, ny = grid.ny;
  grid.curvatureY.assign(grid.level.size(), 0);
  std::vector<double> m(static_cast<size_t>(ny));
  for (int cx = 0; cx < nx; ++cx) {
    splineCurvature(grid.centreY.data(), grid.level.data() + cx, ny, nx, m.data());
    for (int cy = 0; cy < ny; ++cy) grid.curvatureY[static_cast<size_t>(cy) * nx + cx] = m[cy];
  }
}

// Mean of the background spline over each cell, from kCellMeanSamples^2 points per cell.
std::vector<double> cellMeans(const BackgroundGrid& grid, int width, int height) {
  const int nx = grid.nx, ny = grid.ny, k = kCellMeanSamples;
  std::vector<double> mean(static_cast<size_t>(nx) * ny, 0), values, curvature;
  for (int cy = 0; cy < ny; ++cy) {
    const double y0 = static_cast<double>(static_cast<int64_t>(cy) * height / ny);
    const double y1 = static_cast<double>(static_cast<int64_t>(cy + 1) * height / ny);
    for (int j = 0; j < k; ++j) {
      const double y = y0 - 0.5 + (y1 - y0) * (j + 0.5) / k;
      rowKnots(grid, y, values, curvature);
      for (int cx = 0; cx < nx; ++cx) {
        const double x0 = static_cast<double>(static_cast<int64_t>(cx) * width / nx);
        const double x1 = static_cast<double>(static_cast<int64_t>(cx + 1) * width / nx);
        double sum = 0;
        for (int i = 0; i < k; ++i) {
          const double x = x0 - 0.5 + (x1 - x0) * (i + 0.5) / k;
          sum += splineValue(grid.centreX.data(), values.data(), curvature.data(), nx, 1, x);
        }
        mean[static_cast<size_t>(cy) * nx + cx] += sum / (k * k);
      }
    }
  }
  return mean;
}

}  // namespace

SampleGrid makeSampleGrid(int width, int height, int box) {
  box = std::max(box, 4);
  SampleGrid g;
  g.nx = cellCount(width, box);
  g.ny = cellCount(height, box);
  g.stride = std::max(1, box / 32);
  auto layout = [&](int length, int cells, std::vector<int>& bounds, std::vector<int>& positions,
                    std::vector<int>& starts) {
    for (int c = 0; c <= cells; ++c) {
      bounds.push_back(static_cast<int>(static_cast<int64_t>(c) * length / cells));
    }
    for (int c = 0; c < cells; ++c) {
      starts.push_back(static_cast<int>(positions.size()));
      for (int v = bounds[c]; v < bounds[c + 1]; v += g.stride) positions.push_back(v);
    }
    starts.push_back(static_cast<int>(positions.size()));
  };
  layout(width, g.nx, g.cellX, g.xs, g.colStart);
  layout(height, g.ny, g.cellY, g.ys, g.rowStart);
  g.rowIndex.assign(static_cast<size_t>(height), -1);
  for (size_t k = 0; k < g.ys.size(); ++k) g.rowIndex[g.ys[k]] = static_cast<int>(k);
  return g;
}

bool estimateBackground(const PixelMask& mask, const SampleGrid& sg, int width, int height,
                        BackgroundGrid& grid) {
  const float* pixels = mask.pixels;
  const int nx = sg.nx, ny = sg.ny;
  grid.nx = nx;
  grid.ny = ny;
  grid.centreX.assign(nx, 0);
  grid.centreY.assign(ny, 0);
  std::vector<double> raw(static_cast<size_t>(nx) * ny, 0);
  std::vector<uint8_t> valid(static_cast<size_t>(nx) * ny, 0);
  std::vector<float> samples;
  for (int cx = 0; cx < nx; ++cx) grid.centreX[cx] = (sg.cellX[cx] + sg.cellX[cx + 1] - 1) / 2.0;
  for (int cy = 0; cy < ny; ++cy) {
    grid.centreY[cy] = (sg.cellY[cy] + sg.cellY[cy + 1] - 1) / 2.0;
    for (int cx = 0; cx < nx; ++cx) {
      samples.clear();
      int64_t expected = 0;
      for (int k = sg.rowStart[cy]; k < sg.rowStart[cy + 1]; ++k) {
        const size_t row = static_cast<size_t>(sg.ys[k]) * width;
        for (int l = sg.colStart[cx]; l < sg.colStart[cx + 1]; ++l) {
          ++expected;
          const size_t i = row + sg.xs[l];
          if (!mask.isMasked(i)) samples.push_back(pixels[i]);
        }
      }
      // Enough samples for a stable median, but a frame smaller than a cell still gets one.
      const int64_t needed = std::max<int64_t>(std::min<int64_t>(16, expected), expected / 10);
      const size_t c = static_cast<size_t>(cy) * nx + cx;
      if (static_cast<int64_t>(samples.size()) >= needed) {
        raw[c] = selectMedian(samples);
        valid[c] = 1;
      }
    }
  }
  std::vector<double> filtered = raw;
  bool anyValid = false;
  for (uint8_t v : valid) anyValid = anyValid || v;
  if (!anyValid) return false;
  // Cells without enough valid pixels take the mean of their valid neighbours, growing inwards.
  std::vector<uint8_t> known = valid;
  bool missing = true;
  while (missing) {
    missing = false;
    std::vector<uint8_t> nextKnown = known;
    for (int cy = 0; cy < ny; ++cy) {
      for (int cx = 0; cx < nx; ++cx) {
        const size_t c = static_cast<size_t>(cy) * nx + cx;
        if (known[c]) continue;
        double sum = 0;
        int count = 0;
        for (int dy = -1; dy <= 1; ++dy) {
          for (int dx = -1; dx <= 1; ++dx) {
            const int x = cx + dx, y = cy + dy;
            if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
            const size_t d = static_cast<size_t>(y) * nx + x;
            if (known[d]) { sum += filtered[d]; ++count; }
          }
        }
        if (count > 0) {
          filtered[c] = sum / count;
          nextKnown[c] = 1;
        } else {
          missing = true;
        }
      }
    }
    known.swap(nextKnown);
  }
  grid.level.swap(filtered);
  // Curvatures down each grid column (stride nx through the row-major level array).
  // A cell's median measures the sky averaged over the cell, not at its centre; where the sky
  // curves (vignetting) the two differ by about curvature x box^2 / 12, which after the matched
  // filter is more than a faint star. So the knots are corrected until the spline's average
  // over each cell matches the cell's median.
  const std::vector<double> target = grid.level;
  for (int pass = 0; pass < kCellMeanPasses; ++pass) {
    fitColumnCurvatures(grid);
    const std::vector<double> mean = cellMeans(grid, width, height);
    for (size_t c = 0; c < grid.level.size(); ++c) grid.level[c] += target[c] - mean[c];
  }
  fitColumnCurvatures(grid);
  return true;
}

void flattenRow(const PixelMask& mask, const BackgroundGrid& grid, int width, int y,
                std::vector<float>& background, float* out) {
  background.resize(static_cast<size_t>(width));
  grid.row(y, width, background.data());
  const size_t base = static_cast<size_t>(y) * width;
  const float* src = mask.pixels + base;
  kernels::flatten(src, background.data(),
                   mask.padding.empty() ? nullptr : mask.padding.data() + base, out, width);
}

}  // namespace asterism
