// Two detection stages on their own: the padding mask (flatten.h) and the noise estimate
// (noise.h). The background model is checked through detectStars in detect_test.cpp.
#include <cmath>
#include <limits>
#include <vector>

#include "detect/flatten.h"
#include "detect/noise.h"
#include "harness.h"
#include "synth.h"

using namespace asterism::test;

TEST(estimate_noise_on_gaussian_noise_within_5_percent) {
  for (const double sigma : {0.5, 3.0, 100.0}) {
    for (uint64_t seed = 20; seed < 23; ++seed) {
      Rng rng(seed);
      Frame f(512, 384, 0.0f);
      addNoise(f, rng, sigma);
      const asterism::PixelMask mask = asterism::buildMask(f.pixels.data(), f.width, f.height);
      for (const int offset : {1, 5}) {
        const double estimate = asterism::estimateNoise(mask, f.width, f.height, offset);
        CHECK_MSG(std::fabs(estimate / sigma - 1) < 0.05,
                  "sigma " << sigma << " seed " << seed << " offset " << offset << " estimate "
                           << estimate);
      }
    }
  }
}

TEST(estimate_noise_ignores_stars_and_masked_pixels) {
  Rng rng(24);
  Frame f(256, 256, 0.0f);
  addNoise(f, rng, 4.0);
  for (int i = 0; i < 40; ++i) addStar(f, rng.uniform(5, 250), rng.uniform(5, 250), 3e4, 1.5);
  for (size_t i = 0; i < f.pixels.size(); i += 7) {
    f.pixels[i] = std::numeric_limits<float>::quiet_NaN();
  }
  const asterism::PixelMask mask = asterism::buildMask(f.pixels.data(), f.width, f.height);
  CHECK_NEAR(asterism::estimateNoise(mask, f.width, f.height, 1), 4.0, 0.3);
}

TEST(estimate_noise_degenerate_inputs) {
  Frame f(4, 4, 1.0f);
  f.at(1, 1) = 7.0f;
  const asterism::PixelMask mask = asterism::buildMask(f.pixels.data(), 4, 4);
  CHECK_EQ(asterism::estimateNoise(mask, 4, 4, 5), 0.0);
  CHECK(asterism::estimateNoise(mask, 4, 4, 1) > 0);
  Frame nan(4, 4, std::numeric_limits<float>::quiet_NaN());
  const asterism::PixelMask all = asterism::buildMask(nan.pixels.data(), 4, 4);
  CHECK_EQ(all.masked, int64_t{16});
  CHECK_EQ(asterism::estimateNoise(all, 4, 4, 1), 0.0);
  std::vector<float> none;
  CHECK_EQ(asterism::noiseFromDifferences(none), 0.0);
}

TEST(mask_covers_nan_and_padding_runs_only) {
  Frame f(16, 16, 10.0f);
  Rng rng(25);
  addNoise(f, rng, 1.0);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 6; ++x) f.at(x, y) = -50.0f;  // padding at the minimum value
  f.at(10, 10) = std::numeric_limits<float>::quiet_NaN();
  const asterism::PixelMask mask = asterism::buildMask(f.pixels.data(), 16, 16);
  // Columns 0-4 are wholly padding; column 5 touches sky, so it stays unmasked.
  CHECK_EQ(mask.masked, int64_t{16 * 5 + 1});
  CHECK(mask.isMasked(10 * 16 + 10));
  CHECK(mask.isMasked(3 * 16 + 4));
  CHECK(!mask.isMasked(3 * 16 + 5));
  CHECK(!mask.isMasked(3 * 16 + 6));
}
