// Bayesian verification of a hypothesis (Lang et al. 2010, section 2.4): do the index's stars,
// projected into the image through a candidate WCS, land where the image's stars are?
//
// Field stars are taken in brightness order. Each one is explained either by an index star
// (foreground: a Gaussian around the index star, mixed with a uniform distractor density) or by
// nothing (background: uniform over the image), and the log of the ratio of the two densities is
// summed:
//
//   for each field star j (brightest first, skipping skipField, at most maxFieldStars of them):
//     i  = the index star (not skipped) minimising r²/σ²_i among those with r ≤ 5σ_i (tested
//          as r²/σ²_i ≤ 25), r = |field j − index i|; ties go to the lowest i
//     if i exists and is not yet matched:
//       fg = (1 − d) / M · exp(−r² / (2σ²_i)) / (2π σ²_i) + d / A;  i is matched to j
//     else (no candidate, or i already matched to a brighter field star: a conflict):
//       fg = d / A
//     logOdds += ln(fg / bg),  bg = 1 / A
//
// with d the distractor fraction, A = width × height and M the number of index stars not
// skipped. The running log-odds stop once they fall below logOddsBail or rise above
// logOddsStop; the best running value is tracked too.
//
// The TypeScript twin (lib/solve/verify.js.ts) performs the same floating-point operations in
// the same order (this file is built with -ffp-contract=off), so the two differ only where
// std::exp / std::log and Math.exp / Math.log round differently (an ulp). The candidate search
// uses a uniform grid in both; it is exact, so results do not depend on the grid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace asterism::verify {

// The chance a field star has no index counterpart; astrometry.net's DEFAULT_DISTRACTOR_RATIO.
// Must match DEFAULT_DISTRACTOR_FRACTION in lib/solve/verify.js.ts.
constexpr double kDefaultDistractorFraction = 0.25;
// ln(1e-100): astrometry.net's solver gives up on a hypothesis below these odds
// (solver_set_default_values: logratio_bail_threshold = log(1e-100)). Must match
// DEFAULT_LOG_ODDS_BAIL in lib/solve/verify.js.ts.
constexpr double kDefaultLogOddsBail = -230.25850929940458;
// A match must lie within this many of the index star's sigmas.
constexpr double kMatchRadiusSigmas = 5.0;

struct VerifyInput {
  // n field stars: x0, y0, x1, y1, … in pixels, brightest first.
  const double* fieldXY = nullptr;
  size_t fieldCount = 0;
  // m index stars projected into the image (pixels) and their positional variances (pixels²).
  const double* indexXY = nullptr;
  const double* indexSigma2 = nullptr;
  size_t indexCount = 0;
  // Field and index star numbers to leave out (the hypothesis' own quad); duplicates allowed.
  const uint32_t* skipField = nullptr;
  size_t skipFieldCount = 0;
  const uint32_t* skipIndex = nullptr;
  size_t skipIndexCount = 0;
  // Image size in pixels; A = width × height.
  double width = 0;
  double height = 0;
  double distractorFraction = kDefaultDistractorFraction;
  // Evaluate at most this many field stars (after skipping).
  size_t maxFieldStars = std::numeric_limits<size_t>::max();
  // Stop once the running log-odds are below logOddsBail or above logOddsStop (±inf: never).
  double logOddsBail = kDefaultLogOddsBail;
  double logOddsStop = std::numeric_limits<double>::infinity();
};

struct VerifyResult {
  // The running log-odds where evaluation stopped.
  double logOdds = 0;
  // The maximum of the running log-odds after k = 0 … evaluated stars (0 at k = 0), and the
  // first k where it occurred.
  double bestLogOdds = 0;
  size_t bestAt = 0;
  // Field stars evaluated (not counting skipped ones).
  size_t evaluated = 0;
  // Field stars matched to an index star, and those whose nearest index star was already taken.
  size_t matched = 0;
  size_t conflicts = 0;
};

enum class VerifyStatus {
  Ok,
  NonFiniteCoordinate,  // a field or index coordinate is NaN or infinite
  BadSigma,             // an index variance is not finite and > 0
  BadImageSize,         // width or height not finite and > 0, or their product not a finite area > 0
  BadDistractorFraction,  // not in (0, 1)
  BadLogOddsLimit,      // logOddsBail or logOddsStop is NaN
  SkipOutOfRange,       // a skipField entry ≥ n or a skipIndex entry ≥ m
  TooManyStars,         // more than 2^31 − 1 field or index stars
};

const char* verifyStatusMessage(VerifyStatus status);

// Scratch memory reused between calls (the grid and the per-star flags), so a verification
// allocates nothing once it has seen inputs of a given size. Not shared between threads.
struct VerifyWorkspace {
  std::vector<uint8_t> indexState;   // per index star: 0 free, 1 skipped, 2 matched
  std::vector<uint8_t> fieldSkipped; // per field star: 1 when in skipField
  std::vector<uint32_t> cellStart;   // per grid cell + 1: offsets into cellStars
  std::vector<uint32_t> cellStars;   // index stars sorted by cell, ascending within a cell
  std::vector<uint32_t> starCell;    // per index star: its cell
};

// Checks the input's values (the caller guarantees the array sizes) and, when Ok, verifies.
// fieldMatch must hold fieldCount values; it receives the index star matched to each field star,
// or −1 (unmatched, conflict, skipped or not evaluated). Nothing is written unless Ok.
VerifyStatus verifyHypothesis(const VerifyInput& input, VerifyWorkspace& workspace, VerifyResult& result,
                              int32_t* fieldMatch);

}  // namespace asterism::verify
