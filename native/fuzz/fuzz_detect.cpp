// Fuzz target for asterism::detectStars.
//
// Input layout (little-endian; missing bytes read as 0):
//   0      width  - 1  (mod kMaxSide)
//   1      height - 1  (mod kMaxSide)
//   2      pixel encoding: bits 0-1 select float32 / uint8 / int16 / uint8 with 253-255 meaning
//          -inf, +inf and NaN
//   3      backgroundBox + 8     (so -8 .. 247: some invalid on purpose)
//   4      psfSigma * 12         (0 .. 21.25: both ends invalid)
//   5      threshold * 8 + 16    (-2 .. 29.9)
//   6      saddle * 8 + 16       (-2 .. 29.9)
//   7      hotPixelRatio * 200   (0 .. 1.275)
//   8      apertureRadius * 4 + 32 (-8 .. 55.75)
//   9      maxStars + 4          (-4 .. 251)
//   10     cancel after this many polls (values >= 8 never cancel)
//   11     contrast * 8 + 16     (-2 .. 29.9)
//   12..   pixel data in the chosen encoding, repeated cyclically to fill width x height
//          (all zeros when there is none)
// Sides are capped at kMaxSide so each run stays in the millisecond range; parameters map onto
// ranges that straddle the valid ones so the argument checks are exercised too. The aperture
// radius is capped because its cost grows with its square for every star.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "detect/detect.h"

namespace {

constexpr int kMaxSide = 64;
constexpr size_t kHeaderSize = 12;

// Aborts so that libFuzzer and the replay driver both report the input.
void require(bool condition) {
  if (!condition) std::abort();
}

float decodePixel(const uint8_t* data, size_t size, int encoding, size_t index) {
  auto byteAt = [&](size_t i) { return data[i % size]; };
  switch (encoding) {
    case 0: {
      uint8_t raw[4];
      for (int k = 0; k < 4; ++k) raw[k] = byteAt(index * 4 + k);
      float v;
      std::memcpy(&v, raw, sizeof v);
      return v;
    }
    case 1:
      return byteAt(index);
    case 2: {
      const uint16_t u = static_cast<uint16_t>(byteAt(index * 2) | byteAt(index * 2 + 1) << 8);
      return static_cast<int16_t>(u);
    }
    default: {
      const uint8_t b = byteAt(index);
      if (b == 253) return -std::numeric_limits<float>::infinity();
      if (b == 254) return std::numeric_limits<float>::infinity();
      if (b == 255) return std::numeric_limits<float>::quiet_NaN();
      return b;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t header[kHeaderSize] = {};
  if (size > 0) std::memcpy(header, data, size < kHeaderSize ? size : kHeaderSize);
  const int width = 1 + header[0] % kMaxSide;
  const int height = 1 + header[1] % kMaxSide;
  const int encoding = header[2] & 3;

  asterism::DetectParams params;
  params.backgroundBox = header[3] - 8;
  params.psfSigma = header[4] / 12.0;
  params.threshold = (header[5] - 16) / 8.0;
  params.saddle = (header[6] - 16) / 8.0;
  params.hotPixelRatio = header[7] / 200.0;
  params.apertureRadius = (header[8] - 32) / 4.0;
  params.maxStars = header[9] - 4;
  params.contrast = (header[11] - 16) / 8.0;
  const int cancelAfter = header[10];

  std::vector<float> pixels(static_cast<size_t>(width) * height, 0.0f);
  if (size > kHeaderSize) {
    const uint8_t* body = data + kHeaderSize;
    const size_t bodySize = size - kHeaderSize;
    for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = decodePixel(body, bodySize, encoding, i);
  }

  std::vector<asterism::Star> stars;
  asterism::DetectStats stats;
  int polls = 0;
  const asterism::CancelCheck cancel = [&] { return ++polls > cancelAfter && cancelAfter < 8; };
  const asterism::DetectStatus status =
      asterism::detectStars(pixels.data(), width, height, params, stars, stats, cancel);

  require(asterism::detectStatusMessage(status) != nullptr);
  if (status != asterism::DetectStatus::Ok) {
    require(stars.empty());
    return 0;
  }
  if (params.maxStars > 0) require(stars.size() <= static_cast<size_t>(params.maxStars));
  require(stats.maskedPixels >= 0 && stats.maskedPixels < static_cast<int64_t>(pixels.size()));
  // Rejections only remove peaks.
  require(stats.hotPixels >= 0 && stats.lowContrast >= 0);
  require(static_cast<int64_t>(stars.size()) + stats.hotPixels + stats.lowContrast <= stats.peaks);
  for (const asterism::Star& s : stars) {
    // Centroids stay within one pixel of a peak pixel, so inside the frame.
    require(std::isfinite(s.x) && std::isfinite(s.y));
    require(s.x >= 0 && s.x <= width - 1 && s.y >= 0 && s.y <= height - 1);
  }
  return 0;
}
