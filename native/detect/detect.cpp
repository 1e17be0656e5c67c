#include "detect.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "centroid.h"
#include "flatten.h"
#include "kernels.h"
#include "noise.h"
#include "peaks.h"
#include "smooth.h"

namespace asterism {

namespace {

bool cancelled(const CancelCheck& isCancelled) { return isCancelled && isCancelled(); }

bool validParams(const DetectParams& p) {
  return p.backgroundBox >= 4 && std::isfinite(p.psfSigma) && p.psfSigma >= 0.3 &&
         p.psfSigma <= 20 && std::isfinite(p.threshold) && p.threshold > 0 &&
         std::isfinite(p.saddle) && p.saddle >= 0 && std::isfinite(p.hotPixelRatio) &&
         p.hotPixelRatio >= 0 && p.hotPixelRatio < 1 && std::isfinite(p.contrast) && p.contrast >= 0 && std::isfinite(p.apertureRadius) &&
         p.apertureRadius <= 1000 && p.maxStars >= 0;
}

// A peak whose 3x3 box may hold the star's centroid fit. Peaks of the union-find are pixels
// with no brighter unmasked neighbour, so testing that while rows stream past finds a superset
// of them, and their boxes are saved then because the smoothed frame is never kept.
struct Candidate {
  int64_t index;
  bool usable;  // the whole box is in the frame and unmasked
  float box[9];
};

struct RowWindow {
  const float* above;  // nullptr at the top edge
  const float* middle;
  const float* below;  // nullptr at the bottom edge
};

// columns: the significant pixels of row y (above the level and unmasked), ascending.
void collectCandidates(const PixelMask& mask, int width, int y, const RowWindow& rows,
                       const std::vector<int>& columns, std::vector<Candidate>& out) {
  const float* lines[3] = {rows.above, rows.middle, rows.below};
  const size_t base = static_cast<size_t>(y) * width;
  for (int x : columns) {
    const float v = rows.middle[x];
    const int64_t p = static_cast<int64_t>(base) + x;
    bool isPeak = true;
    Candidate c{p, true, {}};
    for (int dy = -1; dy <= 1; ++dy) {
      const float* line = lines[dy + 1];
      for (int dx = -1; dx <= 1; ++dx) {
        const int xx = x + dx;
        const int k = (dy + 1) * 3 + (dx + 1);
        if (line == nullptr || xx < 0 || xx >= width) {
          c.usable = false;
          c.box[k] = 0;
          continue;
        }
        const int64_t q = p + static_cast<int64_t>(dy) * width + dx;
        c.box[k] = line[xx];
        if (mask.isMasked(static_cast<size_t>(q))) {
          c.usable = false;
          continue;
        }
        if (dx == 0 && dy == 0) continue;
        const float w = line[xx];
        if (w > v || (w == v && q < p)) isPeak = false;
      }
    }
    if (isPeak) out.push_back(c);
  }
}

// A single-pixel spike (hot pixel, cosmic-ray hit) has neighbours at the background level,
// while any PSF the optics can deliver spills a good fraction of the peak into them.
bool isHotPixel(const PixelMask& mask, int width, int height, int px, int py, double background,
                double ratio) {
  const size_t i = static_cast<size_t>(py) * width + px;
  const double v = mask.pixels[i] - background;
  if (v <= 0) return false;
  double brightest = -INFINITY;
  const int nx[4] = {px - 1, px + 1, px, px};
  const int ny[4] = {py, py, py - 1, py + 1};
  for (int k = 0; k < 4; ++k) {
    if (nx[k] < 0 || ny[k] < 0 || nx[k] >= width || ny[k] >= height) continue;
    const size_t j = static_cast<size_t>(ny[k]) * width + nx[k];
    if (mask.isMasked(j)) continue;
    brightest = std::max(brightest, mask.pixels[j] - background);
  }
  return brightest < ratio * v;
}

// Sum of (pixel - background) over the unmasked pixels within `radius` of the peak pixel. The
// background is taken at the peak: it varies on the scale of the background cells, not within
// an aperture.
double apertureFlux(const PixelMask& mask, int width, int height, int px, int py,
                    double background, double radius) {
  const int r = static_cast<int>(std::floor(radius));
  const double r2 = radius * radius;
  double sum = 0;
  for (int dy = -r; dy <= r; ++dy) {
    const int y = py + dy;
    if (y < 0 || y >= height) continue;
    for (int dx = -r; dx <= r; ++dx) {
      const int x = px + dx;
      if (x < 0 || x >= width || dx * dx + dy * dy > r2) continue;
      const size_t i = static_cast<size_t>(y) * width + x;
      if (!mask.isMasked(i)) sum += mask.pixels[i] - background;
    }
  }
  return sum;
}

// Noise of the smoothed frame from the same lattice of pairs, smoothing only the rows the
// lattice touches. The pairs lie further apart than the filter reaches so they stay
// independent; correlated noise (debayered or compressed frames) is measured, not assumed.
double smoothedNoise(const PixelMask& mask, RowSmoother& smoother, int width, int height,
                     int offset) {
  if (width <= offset || height <= offset) return 0;
  const int step = noiseLatticeStep(width, height, offset);
  std::vector<float> a(static_cast<size_t>(width)), b(static_cast<size_t>(width));
  std::vector<float> diffs;
  for (int y = 0; y + offset < height; y += step) {
    smoother.row(y, a.data());
    smoother.row(y + offset, b.data());
    const size_t row = static_cast<size_t>(y) * width;
    const size_t row2 = static_cast<size_t>(y + offset) * width;
    for (int x = 0; x + offset < width; x += step) {
      if (mask.isMasked(row + x) || mask.isMasked(row2 + x + offset)) continue;
      diffs.push_back(std::fabs(a[x] - b[x + offset]));
    }
  }
  return noiseFromDifferences(diffs);
}

// Smoothed value at a peak, from the box saved when its row streamed past.
double smoothedAt(const std::vector<Candidate>& candidates, int64_t p) {
  const auto it = std::lower_bound(candidates.begin(), candidates.end(), p,
                                   [](const Candidate& c, int64_t i) { return c.index < i; });
  return it != candidates.end() && it->index == p ? it->box[4] : 0.0;
}

// Width of the ring, outside the flux aperture, whose median is a peak's local level.
constexpr double kAnnulusWidth = 3.0;

double annulusMedian(const PixelMask& mask, int width, int height, int px, int py,
                     double background, double radius, std::vector<float>& scratch) {
  const double rIn = radius + 0.5, rOut = radius + kAnnulusWidth;
  const int reach = static_cast<int>(std::ceil(rOut));
  scratch.clear();
  for (int dy = -reach; dy <= reach; ++dy) {
    const int y = py + dy;
    if (y < 0 || y >= height) continue;
    for (int dx = -reach; dx <= reach; ++dx) {
      const int x = px + dx;
      const double d2 = dx * dx + dy * dy;
      if (x < 0 || x >= width || d2 < rIn * rIn || d2 > rOut * rOut) continue;
      const size_t i = static_cast<size_t>(y) * width + x;
      if (!mask.isMasked(i)) scratch.push_back(static_cast<float>(mask.pixels[i] - background));
    }
  }
  if (scratch.empty()) return 0;
  const size_t k = scratch.size() / 2;
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(k), scratch.end());
  return scratch[k];
}

}  // namespace

const char* detectStatusMessage(DetectStatus status) {
  switch (status) {
    case DetectStatus::Ok: return "ok";
    case DetectStatus::InvalidArgument: return "invalid detection parameters or image size";
    case DetectStatus::EmptyImage: return "the image has no valid pixels";
    case DetectStatus::Cancelled: return "detection was cancelled";
  }
  return "unknown status";
}

DetectStatus detectStars(const float* pixels, int width, int height, const DetectParams& params,
                         std::vector<Star>& stars, DetectStats& stats,
                         const CancelCheck& cancel) {
  stars.clear();
  stats = DetectStats{};
  if (pixels == nullptr || width <= 0 || height <= 0 || !validParams(params)) {
    return DetectStatus::InvalidArgument;
  }
  const PixelMask mask = buildMask(pixels, width, height);
  stats.maskedPixels = mask.masked;
  if (mask.masked == static_cast<int64_t>(width) * height) return DetectStatus::EmptyImage;

  const SampleGrid samples = makeSampleGrid(width, height, params.backgroundBox);
  BackgroundGrid grid;
  if (!estimateBackground(mask, samples, width, height, grid)) {
    return DetectStatus::EmptyImage;
  }
  stats.noise = estimateNoise(mask, width, height, 5);
  if (cancelled(cancel)) return DetectStatus::Cancelled;

  const int smoothOffset = std::max(5, static_cast<int>(std::lround(4 * params.psfSigma)));
  stats.backgroundMedian = grid.median();
  if (cancelled(cancel)) return DetectStatus::Cancelled;

  RowSmoother smoother(mask, grid, width, height, params.psfSigma);
  stats.smoothedNoise = smoothedNoise(mask, smoother, width, height, smoothOffset);
  if (!(stats.smoothedNoise > 0)) return DetectStatus::Ok;  // constant image: nothing to find
  if (cancelled(cancel)) return DetectStatus::Cancelled;

  const double sigma = stats.smoothedNoise;
  const double level = params.threshold * sigma;
  std::vector<SignificantPixel> significant;
  std::vector<Candidate> candidates;
  // Significant columns of the previous and current row: candidates for row y-1 are tested once
  // row y exists, and only where row y-1 was significant.
  std::vector<int> previous, current;
  const float levelF = static_cast<float>(level);
  smoother.forEachRow([&](int y, const float* row) {
    const size_t base = static_cast<size_t>(y) * width;
    current.clear();
    // The float search only skips the sky (a float just below `level` can round up to it); the
    // test itself is in double like the TypeScript twin.
    const float below = std::nextafter(levelF, -std::numeric_limits<float>::infinity());
    for (int x = kernels::firstAbove(row, 0, width, below); x < width;
         x = kernels::firstAbove(row, x + 1, width, below)) {
      if (row[x] > level && !mask.isMasked(base + x)) {
        significant.push_back({static_cast<int64_t>(base) + x, row[x]});
        current.push_back(x);
      }
    }
    if (y >= 1 && !previous.empty()) {
      collectCandidates(mask, width, y - 1,
                        {y >= 2 ? smoother.recentRow(y - 2) : nullptr, smoother.recentRow(y - 1), row},
                        previous, candidates);
    }
    previous.swap(current);
  });
  if (!previous.empty()) {
    collectCandidates(mask, width, height - 1,
                      {height >= 2 ? smoother.recentRow(height - 2) : nullptr,
                       smoother.recentRow(height - 1), nullptr},
                      previous, candidates);
  }
  stats.significantPixels = static_cast<int64_t>(significant.size());
  if (cancelled(cancel)) return DetectStatus::Cancelled;

  const std::vector<int64_t> peaks = findPeaks(significant, width, height, params.saddle * sigma);
  stats.peaks = static_cast<int64_t>(peaks.size());
  if (cancelled(cancel)) return DetectStatus::Cancelled;

  const double radius = params.apertureRadius > 0 ? params.apertureRadius
                                                  : std::max(3.0, 3 * params.psfSigma);
  std::vector<Star> found;
  found.reserve(peaks.size());
  std::vector<float> ring;
  for (int64_t p : peaks) {
    const int px = static_cast<int>(p % width);
    const int py = static_cast<int>(p / width);
    const double background = grid.valueAt(px, py);
    if (isHotPixel(mask, width, height, px, py, background, params.hotPixelRatio)) {
      ++stats.hotPixels;
      continue;
    }
    const double smoothedPeak = smoothedAt(candidates, p);
    if (smoothedPeak - annulusMedian(mask, width, height, px, py, background, radius, ring) <
        params.contrast * sigma) {
      ++stats.lowContrast;
      continue;
    }
    // Candidates were collected in pixel order, so a binary search finds the peak's box.
    const auto it = std::lower_bound(candidates.begin(), candidates.end(), p,
                                     [](const Candidate& c, int64_t i) { return c.index < i; });
    double dx = 0, dy = 0;
    if (it != candidates.end() && it->index == p && it->usable) centroid3x3(it->box, dx, dy);
    Star s{};
    s.x = px + dx;
    s.y = py + dy;
    s.flux = apertureFlux(mask, width, height, px, py, background, radius);
    s.peak = pixels[p] - background;
    s.background = background;
    s.snr = smoothedPeak / sigma;
    found.push_back(s);
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const Star& a, const Star& b) { return a.flux > b.flux; });
  if (params.maxStars > 0 && found.size() > static_cast<size_t>(params.maxStars)) {
    found.resize(static_cast<size_t>(params.maxStars));
  }
  stars.swap(found);
  return DetectStatus::Ok;
}

}  // namespace asterism
