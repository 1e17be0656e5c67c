#include "verify.h"

#include <algorithm>
#include <cmath>

namespace asterism::verify {

namespace {

// 2π as a double: exactly 2 * Math.PI in the TypeScript twin.
constexpr double kTwoPi = 6.283185307179586;
// The grid has at most this many cells per side, and at most max(1, 2M) cells in all unless one
// side is already down to a single cell.
constexpr double kMaxGridSide = 1024;
// Relative slack added to the search range, in cells, so that rounding in the cell arithmetic
// (errors of a few ulps of the cell coordinates and of the reach) never drops a star that the
// distance test accepts: the grid changes only the speed, never the result.
constexpr double kCellSlack = 1e-9;
constexpr size_t kMaxStars = 0x7FFFFFFF;

// The cell holding cell coordinate u (in cell units), clamped to [0, cells − 1]; a NaN (from
// inf − inf at absurd scales) goes to the end that widens the search.
size_t cellIndex(double u, size_t cells, bool high) {
  const double f = std::floor(u);
  if (std::isnan(f)) return high ? cells - 1 : 0;
  if (f <= 0) return 0;
  const double last = static_cast<double>(cells - 1);
  if (f >= last) return cells - 1;
  return static_cast<size_t>(f);
}

VerifyStatus checkInput(const VerifyInput& in) {
  if (in.fieldCount > kMaxStars || in.indexCount > kMaxStars) return VerifyStatus::TooManyStars;
  const double area = in.width * in.height;
  if (!std::isfinite(in.width) || !std::isfinite(in.height) || !(in.width > 0) || !(in.height > 0) ||
      !std::isfinite(area) || !(area > 0)) {
    return VerifyStatus::BadImageSize;
  }
  if (!(in.distractorFraction > 0 && in.distractorFraction < 1)) return VerifyStatus::BadDistractorFraction;
  if (std::isnan(in.logOddsBail) || std::isnan(in.logOddsStop)) return VerifyStatus::BadLogOddsLimit;
  for (size_t k = 0; k < in.skipFieldCount; ++k) {
    if (in.skipField[k] >= in.fieldCount) return VerifyStatus::SkipOutOfRange;
  }
  for (size_t k = 0; k < in.skipIndexCount; ++k) {
    if (in.skipIndex[k] >= in.indexCount) return VerifyStatus::SkipOutOfRange;
  }
  for (size_t k = 0; k < 2 * in.fieldCount; ++k) {
    if (!std::isfinite(in.fieldXY[k])) return VerifyStatus::NonFiniteCoordinate;
  }
  for (size_t k = 0; k < 2 * in.indexCount; ++k) {
    if (!std::isfinite(in.indexXY[k])) return VerifyStatus::NonFiniteCoordinate;
  }
  for (size_t i = 0; i < in.indexCount; ++i) {
    const double s2 = in.indexSigma2[i];
    if (!std::isfinite(s2) || !(s2 > 0)) return VerifyStatus::BadSigma;
  }
  return VerifyStatus::Ok;
}

// The uniform grid over the image that answers "which index stars lie near this point".
struct Grid {
  size_t nx = 1;
  size_t ny = 1;
  double cellW = 1;
  double cellH = 1;
  // The search half-width in cells (before slack).
  double reachX = 0;
  double reachY = 0;
};

// Sizes the grid: cells about the search radius (5 σ_max) wide, at most 1024 per side and about
// 2M in all, so building it stays proportional to the number of index stars.
Grid sizeGrid(double width, double height, double radius, size_t activeIndex) {
  double nx = std::floor(width / radius);
  double ny = std::floor(height / radius);
  nx = std::min(std::max(nx, 1.0), kMaxGridSide);
  ny = std::min(std::max(ny, 1.0), kMaxGridSide);
  const double cap = std::max(1.0, 2.0 * static_cast<double>(activeIndex));
  if (nx * ny > cap) {
    const double shrink = std::sqrt(cap / (nx * ny));
    nx = std::max(1.0, std::floor(nx * shrink));
    ny = std::max(1.0, std::floor(ny * shrink));
  }
  Grid g;
  g.nx = static_cast<size_t>(nx);
  g.ny = static_cast<size_t>(ny);
  g.cellW = width / nx;
  g.cellH = height / ny;
  g.reachX = radius / g.cellW;
  g.reachY = radius / g.cellH;
  return g;
}

}  // namespace

const char* verifyStatusMessage(VerifyStatus status) {
  switch (status) {
    case VerifyStatus::Ok: return "ok";
    case VerifyStatus::NonFiniteCoordinate: return "star coordinates must be finite (no NaN or Infinity)";
    case VerifyStatus::BadSigma: return "indexSigma2 values must be finite and > 0";
    case VerifyStatus::BadImageSize: return "width and height must be finite and > 0, with a finite area";
    case VerifyStatus::BadDistractorFraction: return "distractorFraction must be in (0, 1)";
    case VerifyStatus::BadLogOddsLimit: return "logOddsBail and logOddsStop must not be NaN";
    case VerifyStatus::SkipOutOfRange: return "skipField entries must be < the number of field stars and skipIndex entries < the number of index stars";
    case VerifyStatus::TooManyStars: return "at most 2^31 - 1 field and index stars";
  }
  return "unknown verify status";
}

VerifyStatus verifyHypothesis(const VerifyInput& in, VerifyWorkspace& ws, VerifyResult& result, int32_t* fieldMatch) {
  const VerifyStatus status = checkInput(in);
  if (status != VerifyStatus::Ok) return status;
  const size_t n = in.fieldCount;
  const size_t m = in.indexCount;

  ws.indexState.assign(m, 0);
  for (size_t k = 0; k < in.skipIndexCount; ++k) ws.indexState[in.skipIndex[k]] = 1;
  ws.fieldSkipped.assign(n, 0);
  for (size_t k = 0; k < in.skipFieldCount; ++k) ws.fieldSkipped[in.skipField[k]] = 1;
  std::fill(fieldMatch, fieldMatch + n, -1);

  size_t active = 0;
  double sigma2Max = 0;
  for (size_t i = 0; i < m; ++i) {
    if (ws.indexState[i] != 0) continue;
    ++active;
    sigma2Max = std::max(sigma2Max, in.indexSigma2[i]);
  }

  // Counting sort of the active index stars into grid cells, ascending index within a cell.
  Grid grid;
  if (active > 0) {
    grid = sizeGrid(in.width, in.height, kMatchRadiusSigmas * std::sqrt(sigma2Max), active);
    const size_t cells = grid.nx * grid.ny;
    ws.cellStart.assign(cells + 1, 0);
    ws.starCell.resize(m);
    ws.cellStars.resize(active);
    for (size_t i = 0; i < m; ++i) {
      if (ws.indexState[i] != 0) continue;
      const size_t cx = cellIndex(in.indexXY[2 * i] / grid.cellW, grid.nx, false);
      const size_t cy = cellIndex(in.indexXY[2 * i + 1] / grid.cellH, grid.ny, false);
      const size_t cell = cy * grid.nx + cx;
      ws.starCell[i] = static_cast<uint32_t>(cell);
      ++ws.cellStart[cell + 1];
    }
    for (size_t c = 0; c < cells; ++c) ws.cellStart[c + 1] += ws.cellStart[c];
    // cellStart[c] is now the first slot of cell c; fill using the next cell's start as a cursor.
    for (size_t i = 0; i < m; ++i) {
      if (ws.indexState[i] != 0) continue;
      const uint32_t cell = ws.starCell[i];
      ws.cellStars[ws.cellStart[cell]++] = static_cast<uint32_t>(i);
    }
    // The cursors ran to each cell's end, which is the next cell's start: shift back by one.
    for (size_t c = cells; c > 0; --c) ws.cellStart[c] = ws.cellStart[c - 1];
    ws.cellStart[0] = 0;
  }

  const double d = in.distractorFraction;
  const double area = in.width * in.height;
  const double background = 1.0 / area;
  const double distractorDensity = d / area;
  const double distractorTerm = std::log(distractorDensity / background);
  const double matchWeight = (1.0 - d) / static_cast<double>(active);
  // r ≤ 5σ, tested as r²/σ² ≤ 25 (an overflowing r² is then never a match).
  const double reach = kMatchRadiusSigmas * kMatchRadiusSigmas;

  VerifyResult r;
  for (size_t j = 0; j < n && r.evaluated < in.maxFieldStars; ++j) {
    if (ws.fieldSkipped[j] != 0) continue;
    ++r.evaluated;
    double term = distractorTerm;
    if (active > 0) {
      const double fx = in.fieldXY[2 * j];
      const double fy = in.fieldXY[2 * j + 1];
      const double ux = fx / grid.cellW;
      const double uy = fy / grid.cellH;
      const double spanX = grid.reachX + kCellSlack * (1.0 + std::fabs(ux) + grid.reachX);
      const double spanY = grid.reachY + kCellSlack * (1.0 + std::fabs(uy) + grid.reachY);
      const size_t x0 = cellIndex(ux - spanX, grid.nx, false);
      const size_t x1 = cellIndex(ux + spanX, grid.nx, true);
      const size_t y0 = cellIndex(uy - spanY, grid.ny, false);
      const size_t y1 = cellIndex(uy + spanY, grid.ny, true);
      size_t best = m;
      double bestScore = 0;
      double bestR2 = 0;
      for (size_t cy = y0; cy <= y1; ++cy) {
        for (size_t cx = x0; cx <= x1; ++cx) {
          const size_t cell = cy * grid.nx + cx;
          for (uint32_t k = ws.cellStart[cell]; k < ws.cellStart[cell + 1]; ++k) {
            const size_t i = ws.cellStars[k];
            const double dx = fx - in.indexXY[2 * i];
            const double dy = fy - in.indexXY[2 * i + 1];
            const double r2 = dx * dx + dy * dy;
            const double score = r2 / in.indexSigma2[i];
            if (!(score <= reach)) continue;
            if (best == m || score < bestScore || (score == bestScore && i < best)) {
              best = i;
              bestScore = score;
              bestR2 = r2;
            }
          }
        }
      }
      if (best != m) {
        if (ws.indexState[best] == 2) {
          ++r.conflicts;
        } else {
          ws.indexState[best] = 2;
          fieldMatch[j] = static_cast<int32_t>(best);
          ++r.matched;
          const double s2 = in.indexSigma2[best];
          const double foreground = matchWeight * std::exp(-bestR2 / (2.0 * s2)) / (kTwoPi * s2) + distractorDensity;
          term = std::log(foreground / background);
        }
      }
    }
    r.logOdds += term;
    if (r.logOdds > r.bestLogOdds) {
      r.bestLogOdds = r.logOdds;
      r.bestAt = r.evaluated;
    }
    if (r.logOdds < in.logOddsBail || r.logOdds > in.logOddsStop) break;
  }
  result = r;
  return VerifyStatus::Ok;
}

}  // namespace asterism::verify
