// Fuzz target for asterism::fits::readFitsImage: the whole input is the file. A small pixel
// limit keeps runs fast and exercises the TooLarge path. Images that decode are also passed to
// detectStars, as the addon does, so hostile pixel values reach the detector through the same
// route as a user's file.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "detect/detect.h"
#include "fits/fits.h"

namespace {

constexpr int64_t kMaxPixels = 1 << 16;
constexpr int64_t kMaxDetectPixels = 1 << 14;

// Aborts so that libFuzzer and the replay driver both report the input.
void require(bool condition) {
  if (!condition) std::abort();
}

// Out-of-range doubles become infinities explicitly: the plain conversion is undefined.
float toFloat(double v) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  if (std::isnan(v)) return std::numeric_limits<float>::quiet_NaN();
  if (std::fabs(v) > std::numeric_limits<float>::max()) return v > 0 ? kInf : -kInf;
  return static_cast<float>(v);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using asterism::fits::FitsStatus;
  asterism::fits::FitsImage image;
  std::string message;
  const FitsStatus status =
      asterism::fits::readFitsImage(data, size, kMaxPixels, image, message);
  if (status != FitsStatus::Ok) {
    require(!message.empty());
    return 0;
  }
  require(image.width > 0 && image.height > 0);
  const int64_t count = static_cast<int64_t>(image.width) * image.height;
  require(count <= kMaxPixels);
  // Every decoded pixel came from the input: BITPIX bits each, after at least one header block.
  require(static_cast<uint64_t>(count) * (std::abs(image.bitpix) / 8) + 2880 <= size);
  const bool wide = image.bitpix == -64;
  require(image.bitpix == 8 || image.bitpix == 16 || image.bitpix == 32 || image.bitpix == 64 ||
          image.bitpix == -32 || wide);
  require(wide ? image.pixels64.size() == static_cast<size_t>(count) && image.pixels32.empty()
               : image.pixels32.size() == static_cast<size_t>(count) && image.pixels64.empty());

  if (count > kMaxDetectPixels) return 0;
  std::vector<float> pixels = image.pixels32;
  if (wide) {
    pixels.clear();
    for (const double v : image.pixels64) pixels.push_back(toFloat(v));
  }
  std::vector<asterism::Star> stars;
  asterism::DetectStats stats;
  asterism::DetectParams params;
  params.backgroundBox = 16;
  const asterism::DetectStatus detected =
      asterism::detectStars(pixels.data(), image.width, image.height, params, stars, stats);
  require(detected == asterism::DetectStatus::Ok || detected == asterism::DetectStatus::EmptyImage);
  for (const asterism::Star& s : stars) {
    require(s.x >= 0 && s.x <= image.width - 1 && s.y >= 0 && s.y <= image.height - 1);
  }
  return 0;
}
