// Star detection core: plain C++17, no Node types. The binding layer (native/binding) and the
// native tests both call detectStars(); the TypeScript twin in lib/detect/detect.js.ts mirrors it
// step for step so the two can be compared.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace asterism {

struct DetectParams {
  // Side of the square cells whose medians estimate the background (pixels).
  int backgroundBox = 128;
  // Sigma of the Gaussian matched filter (pixels); about the PSF's sigma.
  double psfSigma = 1.0;
  // A pixel is significant when the smoothed image exceeds threshold x smoothed noise.
  double threshold = 5.0;
  // A smaller peak survives only if it stands this many smoothed sigmas above the saddle
  // joining it to a higher one.
  double saddle = 5.0;
  // A peak pixel whose brightest 4-neighbour is below this fraction of it is a hot pixel.
  double hotPixelRatio = 0.15;
  // A peak must stand this many smoothed sigmas above the median of a ring just outside its
  // aperture. Stars do; threshold-level bumps on a galaxy's halo or a nebula do not.
  double contrast = 4.0;
  // Radius of the flux aperture (pixels); <= 0 means max(3, 3 * psfSigma).
  double apertureRadius = 0.0;
  // Keep at most this many stars, brightest first; 0 keeps all.
  int maxStars = 0;
};

struct Star {
  double x;           // column, centre of the first pixel is 0
  double y;           // row as stored, centre of the first pixel is 0
  double flux;        // aperture sum of background-subtracted pixels
  double peak;        // background-subtracted value of the peak pixel
  double background;  // background level at the peak pixel
  double snr;         // matched-filter peak over the smoothed image's noise
};

struct DetectStats {
  double noise = 0;           // per-pixel noise sigma of the flattened image
  double smoothedNoise = 0;   // noise sigma after the matched filter
  double backgroundMedian = 0;
  int64_t maskedPixels = 0;
  int64_t significantPixels = 0;
  int64_t peaks = 0;          // peaks kept after saddle trimming, before hot-pixel rejection
  int64_t hotPixels = 0;
  int64_t lowContrast = 0;    // peaks rejected as not standing out from their surroundings
};

enum class DetectStatus { Ok, InvalidArgument, EmptyImage, Cancelled };

// pixels: width*height floats, row-major; NaN or infinite values are masked. The caller owns the
// buffer and must keep it alive and unchanged for the duration of the call.
// isCancelled: optional; polled between stages, and detection stops with Cancelled when it
// returns true.
using CancelCheck = std::function<bool()>;
DetectStatus detectStars(const float* pixels, int width, int height, const DetectParams& params,
                         std::vector<Star>& stars, DetectStats& stats,
                         const CancelCheck& isCancelled = nullptr);

const char* detectStatusMessage(DetectStatus status);

}  // namespace asterism
