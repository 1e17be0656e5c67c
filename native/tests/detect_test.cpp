// Behaviour of asterism::detectStars on synthetic frames with known stars.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <utility>
#include <vector>

#include "detect/detect.h"
#include "harness.h"
#include "synth.h"

namespace {

using asterism::DetectParams;
using asterism::DetectStats;
using asterism::DetectStatus;
using asterism::Star;
using asterism::detectStars;
using namespace asterism::test;

struct Detection {
  DetectStatus status;
  std::vector<Star> stars;
  DetectStats stats;
};

Detection detect(const Frame& f, const DetectParams& params = {}) {
  Detection d;
  d.status = detectStars(f.pixels.data(), f.width, f.height, params, d.stars, d.stats);
  return d;
}

// Index of the detection nearest to (x, y), or -1 when none lies within `radius`.
int nearest(const std::vector<Star>& stars, double x, double y, double radius) {
  int best = -1;
  double bestDistance = radius;
  for (size_t i = 0; i < stars.size(); ++i) {
    const double d = std::hypot(stars[i].x - x, stars[i].y - y);
    if (d <= bestDistance) {
      bestDistance = d;
      best = static_cast<int>(i);
    }
  }
  return best;
}

int countWithin(const std::vector<Star>& stars, double x, double y, double radius) {
  int n = 0;
  for (const Star& s : stars) n += std::hypot(s.x - x, s.y - y) <= radius;
  return n;
}

// Every true star is found once, within `tolerance` pixels, and nothing else is found.
void checkFindsExactly(const Detection& d, const std::vector<TrueStar>& truth, double tolerance) {
  CHECK(d.status == DetectStatus::Ok);
  CHECK_EQ(d.stars.size(), truth.size());
  double worst = 0;
  for (const TrueStar& t : truth) {
    const int i = nearest(d.stars, t.x, t.y, 2.0);
    CHECK_MSG(i >= 0, "no detection near (" << t.x << ", " << t.y << ") flux " << t.flux);
    if (i < 0) continue;
    const double error = std::hypot(d.stars[i].x - t.x, d.stars[i].y - t.y);
    worst = std::max(worst, error);
    CHECK_MSG(error < tolerance, "centroid error " << error << " px at (" << t.x << ", " << t.y
                                                   << ")");
    CHECK_EQ(countWithin(d.stars, t.x, t.y, 3.0), 1);
  }
  std::printf("    worst centroid error %.4f px over %zu stars\n", worst, truth.size());
}

constexpr double kPsfSigma = 1.5;

// A noiseless sky that rises slowly, so that no flat run of the minimum value looks like the
// padding of a rotated or stacked frame. Detect it with noiselessParams: cells small enough for
// the background spline to follow the slope, which is all the "noise" there is.
Frame gentleSlope(int width, int height) {
  Frame f(width, height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) f.at(x, y) = static_cast<float>(100 + 0.01 * x + 0.02 * y);
  return f;
}

DetectParams paramsFor(double psfSigma) {
  DetectParams p;
  p.psfSigma = psfSigma;
  p.backgroundBox = 64;
  return p;
}

DetectParams noiselessParams(double psfSigma) {
  DetectParams p = paramsFor(psfSigma);
  p.backgroundBox = 32;
  return p;
}

}  // namespace

TEST(finds_bright_stars_on_flat_background) {
  Rng rng(1);
  Frame f(256, 256, 1000.0f);
  const auto truth = scatterStars(rng, f.width, f.height, 25, 10, 20, 2e4, 1e5);
  for (const TrueStar& s : truth) addStar(f, s.x, s.y, s.flux, kPsfSigma);
  addNoise(f, rng, 10.0);
  const Detection d = detect(f, paramsFor(kPsfSigma));
  checkFindsExactly(d, truth, 0.05);
  CHECK_NEAR(d.stats.noise, 10.0, 1.0);
  CHECK_NEAR(d.stats.backgroundMedian, 1000.0, 1.0);
  for (size_t i = 1; i < d.stars.size(); ++i) CHECK(d.stars[i - 1].flux >= d.stars[i].flux);
}

TEST(finds_bright_stars_on_gradient_background) {
  Rng rng(2);
  Frame f(320, 240);
  // A sky gradient of 1 ADU/px across and 0.5 ADU/px down: 400 ADU over the frame.
  for (int y = 0; y < f.height; ++y)
    for (int x = 0; x < f.width; ++x) f.at(x, y) = static_cast<float>(1500 + 1.0 * x - 0.5 * y);
  const auto truth = scatterStars(rng, f.width, f.height, 25, 10, 20, 2e4, 1e5);
  for (const TrueStar& s : truth) addStar(f, s.x, s.y, s.flux, kPsfSigma);
  addNoise(f, rng, 10.0);
  const Detection d = detect(f, paramsFor(kPsfSigma));
  checkFindsExactly(d, truth, 0.05);
  for (const Star& s : d.stars) {
    CHECK_NEAR(s.background, 1500 + 1.0 * s.x - 0.5 * s.y, 5.0);
  }
}

TEST(vignetting_and_steep_gradient_give_no_false_stars) {
  // Sky 1500 ADU at the centre, falling by 800 ADU towards the corners (an uncalibrated frame's
  // vignetting) on a 3 ADU/px tilt, with noise 10: the background cells cannot follow the curve
  // exactly, and star-contaminated medians in steep cells are biased; neither may become a star.
  Rng rng(14);
  Frame f(320, 240);
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) {
      const double dx = (x - 160.0) / 160.0, dy = (y - 120.0) / 120.0;
      f.at(x, y) = static_cast<float>(1500 + 3.0 * x - 1.5 * y - 400 * (dx * dx + dy * dy));
    }
  }
  const auto truth = scatterStars(rng, f.width, f.height, 25, 10, 20, 2e4, 1e5);
  for (const TrueStar& s : truth) addStar(f, s.x, s.y, s.flux, kPsfSigma);
  addNoise(f, rng, 10.0);
  checkFindsExactly(detect(f, paramsFor(kPsfSigma)), truth, 0.1);
}

TEST(faint_stars_found_with_snr_reported) {
  Rng rng(3);
  Frame f(256, 256, 500.0f);
  // Flux 600 with sigma 1.5 and noise 5: a matched-filter SNR of about 20.
  const auto truth = scatterStars(rng, f.width, f.height, 15, 10, 25, 600, 700);
  for (const TrueStar& s : truth) addStar(f, s.x, s.y, s.flux, kPsfSigma);
  addNoise(f, rng, 5.0);
  const Detection d = detect(f, paramsFor(kPsfSigma));
  checkFindsExactly(d, truth, 0.3);
  for (const Star& s : d.stars) {
    CHECK_MSG(s.snr > 10 && s.snr < 40, "snr " << s.snr);
    CHECK_NEAR(s.background, 500.0, 3.0);
  }
}

TEST(noiseless_sampled_gaussian_centroid_is_exact) {
  // A star sampled at pixel centres stays Gaussian through the Gaussian matched filter, so the
  // log-Gaussian 3x3 fit should land on the true centre.
  for (const auto& [cx, cy] : {std::pair{80.0, 80.0}, {80.3, 79.8}, {79.55, 80.45}, {80.49, 80.01}}) {
    Frame f = gentleSlope(160, 160);
    addSampledStar(f, cx, cy, 5000.0, 2.0);
    const Detection d = detect(f, noiselessParams(2.0));
    CHECK(d.status == DetectStatus::Ok);
    CHECK_EQ(d.stars.size(), size_t{1});
    if (d.stars.size() != 1) continue;
    CHECK_NEAR(d.stars[0].x, cx, 1e-3);
    CHECK_NEAR(d.stars[0].y, cy, 1e-3);
    CHECK_NEAR(d.stars[0].background, 100 + 0.01 * d.stars[0].x + 0.02 * d.stars[0].y, 0.5);
  }
}

TEST(noiseless_integrated_gaussian_centroid_is_close) {
  // Integrating over the pixel convolves the star with a box, so the profile is no longer
  // exactly Gaussian; after the matched filter the difference is too small to matter.
  double worst = 0;
  for (int i = 0; i < 25; ++i) {
    const double cx = 80 + 0.2 * (i % 5) - 0.4, cy = 80 + 0.2 * (i / 5) - 0.4;
    Frame f = gentleSlope(160, 160);
    addStar(f, cx, cy, 5e4, kPsfSigma);
    const Detection d = detect(f, noiselessParams(kPsfSigma));
    CHECK_EQ(d.stars.size(), size_t{1});
    if (d.stars.size() != 1) continue;
    worst = std::max(worst, std::hypot(d.stars[0].x - cx, d.stars[0].y - cy));
  }
  std::printf("    worst centroid error %.2g px\n", worst);
  CHECK(worst < 1e-3);
}

TEST(hot_pixel_rejected) {
  Rng rng(4);
  Frame f(128, 128, 1000.0f);
  addNoise(f, rng, 10.0);
  addStar(f, 40.3, 60.7, 5e4, kPsfSigma);
  f.at(90, 30) += 5000.0f;   // hot pixel
  f.at(100, 100) += 800.0f;  // cosmic-ray hit, fainter
  const Detection d = detect(f, paramsFor(kPsfSigma));
  CHECK(d.status == DetectStatus::Ok);
  CHECK_EQ(d.stars.size(), size_t{1});
  CHECK(nearest(d.stars, 40.3, 60.7, 0.1) == 0);
  CHECK_EQ(countWithin(d.stars, 90, 30, 3), 0);
  CHECK_EQ(countWithin(d.stars, 100, 100, 3), 0);
  CHECK_EQ(d.stats.hotPixels, int64_t{2});
}

TEST(saturated_flat_top_star_found_once) {
  Rng rng(5);
  Frame f(128, 128, 1000.0f);
  addNoise(f, rng, 10.0);
  addStar(f, 64.4, 63.8, 2e6, 2.0);
  int saturated = 0;
  for (float& v : f.pixels) {
    if (v > 30000) {
      v = 30000;
      ++saturated;
    }
  }
  CHECK(saturated >= 9);
  const Detection d = detect(f, paramsFor(2.0));
  CHECK(d.status == DetectStatus::Ok);
  CHECK_EQ(d.stars.size(), size_t{1});
  CHECK_EQ(countWithin(d.stars, 64.4, 63.8, 1.0), 1);
  CHECK_EQ(d.stats.hotPixels, int64_t{0});
}

TEST(blended_pair_six_pixels_apart_both_found) {
  Rng rng(6);
  for (const double ratio : {1.0, 0.5}) {
    Frame f(128, 128, 1000.0f);
    addNoise(f, rng, 10.0);
    addStar(f, 60.2, 64.3, 5e4, kPsfSigma);
    addStar(f, 66.2, 64.3, 5e4 * ratio, kPsfSigma);
    const Detection d = detect(f, paramsFor(kPsfSigma));
    CHECK(d.status == DetectStatus::Ok);
    CHECK_EQ(d.stars.size(), size_t{2});
    CHECK_EQ(countWithin(d.stars, 60.2, 64.3, 0.5), 1);
    CHECK_EQ(countWithin(d.stars, 66.2, 64.3, 0.5), 1);
  }
}

TEST(star_with_small_noise_bump_not_split) {
  Rng rng(7);
  Frame f(128, 128, 1000.0f);
  addNoise(f, rng, 10.0);
  addStar(f, 64.0, 64.0, 5e4, kPsfSigma);
  // A bump of about two noise sigmas in the star's wing: a local maximum, but no separate star.
  addStar(f, 68.0, 64.0, 150, 0.7);
  const Detection d = detect(f, paramsFor(kPsfSigma));
  CHECK(d.status == DetectStatus::Ok);
  CHECK_EQ(d.stars.size(), size_t{1});
  CHECK_EQ(countWithin(d.stars, 64.0, 64.0, 0.2), 1);
}

TEST(all_nan_is_empty_image) {
  Frame f(64, 48, std::numeric_limits<float>::quiet_NaN());
  const Detection d = detect(f);
  CHECK(d.status == DetectStatus::EmptyImage);
  CHECK(d.stars.empty());
  Frame g(64, 48, std::numeric_limits<float>::infinity());
  CHECK(detect(g).status == DetectStatus::EmptyImage);
}

TEST(constant_image_has_no_stars) {
  for (const float value : {0.0f, 1.0f, 1000.0f, -5.0f}) {
    Frame f(100, 70, value);
    const Detection d = detect(f);
    CHECK(d.status == DetectStatus::Ok);
    CHECK(d.stars.empty());
  }
}

TEST(tiny_images_do_not_crash) {
  Rng rng(8);
  const int sizes[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 3}, {1, 300}, {300, 1},
                          {4, 4}, {5, 5}, {7, 3}, {2, 500}, {500, 2}, {9, 9}};
  for (const auto& size : sizes) {
    for (int variant = 0; variant < 3; ++variant) {
      Frame f(size[0], size[1], 100.0f);
      if (variant >= 1) addNoise(f, rng, 5.0);
      if (variant == 2) f.at(size[0] / 2, size[1] / 2) += 1e4f;
      for (const double psf : {0.5, 1.5, 6.0}) {
        DetectParams p = paramsFor(psf);
        p.backgroundBox = 4;
        const Detection d = detect(f, p);
        CHECK_MSG(d.status == DetectStatus::Ok || d.status == DetectStatus::EmptyImage,
                  size[0] << "x" << size[1]);
        for (const Star& s : d.stars) {
          CHECK(s.x >= 0 && s.x <= size[0] - 1 && s.y >= 0 && s.y <= size[1] - 1);
        }
        const Detection d2 = detect(f);
        CHECK(d2.status == DetectStatus::Ok || d2.status == DetectStatus::EmptyImage);
      }
    }
  }
}

TEST(invalid_arguments_rejected) {
  Frame f(32, 32, 1.0f);
  std::vector<Star> stars{Star{}};
  DetectStats stats;
  const DetectParams ok;
  CHECK(detectStars(nullptr, 32, 32, ok, stars, stats) == DetectStatus::InvalidArgument);
  CHECK(stars.empty());
  CHECK(detectStars(f.pixels.data(), 0, 32, ok, stars, stats) == DetectStatus::InvalidArgument);
  CHECK(detectStars(f.pixels.data(), 32, -1, ok, stars, stats) == DetectStatus::InvalidArgument);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::function<void(DetectParams&)> breakers[] = {
      [](DetectParams& p) { p.backgroundBox = 3; },
      [](DetectParams& p) { p.backgroundBox = -128; },
      [](DetectParams& p) { p.psfSigma = 0.0; },
      [](DetectParams& p) { p.psfSigma = -1.0; },
      [=](DetectParams& p) { p.psfSigma = nan; },
      [=](DetectParams& p) { p.psfSigma = inf; },
      [](DetectParams& p) { p.psfSigma = 1e6; },
      [](DetectParams& p) { p.threshold = 0.0; },
      [=](DetectParams& p) { p.threshold = nan; },
      [](DetectParams& p) { p.saddle = -1.0; },
      [=](DetectParams& p) { p.saddle = inf; },
      [](DetectParams& p) { p.hotPixelRatio = -0.1; },
      [](DetectParams& p) { p.hotPixelRatio = 1.0; },
      [=](DetectParams& p) { p.hotPixelRatio = nan; },
      [](DetectParams& p) { p.contrast = -0.5; },
      [=](DetectParams& p) { p.contrast = nan; },
      [=](DetectParams& p) { p.apertureRadius = nan; },
      [](DetectParams& p) { p.apertureRadius = 1e9; },
      [](DetectParams& p) { p.maxStars = -1; },
  };
  int index = 0;
  for (const auto& breakParams : breakers) {
    DetectParams p;
    breakParams(p);
    stars.assign(1, Star{});
    CHECK_MSG(detectStars(f.pixels.data(), 32, 32, p, stars, stats) ==
                  DetectStatus::InvalidArgument,
              "breaker " << index);
    CHECK(stars.empty());
    ++index;
  }
}

TEST(cancel_stops_detection) {
  Rng rng(9);
  Frame f(128, 128, 1000.0f);
  addNoise(f, rng, 10.0);
  addStar(f, 50.5, 50.5, 5e4, kPsfSigma);
  std::vector<Star> stars;
  DetectStats stats;
  int polls = 0;
  const DetectStatus full = detectStars(f.pixels.data(), f.width, f.height, paramsFor(kPsfSigma),
                                        stars, stats, [&] { return ++polls < 0; });
  CHECK(full == DetectStatus::Ok);
  CHECK_EQ(stars.size(), size_t{1});
  CHECK(polls >= 1);
  // Cancelling at each poll in turn stops there, with no stars.
  for (int cancelAt = 1; cancelAt <= polls; ++cancelAt) {
    int calls = 0;
    const DetectStatus status =
        detectStars(f.pixels.data(), f.width, f.height, paramsFor(kPsfSigma), stars, stats,
                    [&] { return ++calls >= cancelAt; });
    CHECK_MSG(status == DetectStatus::Cancelled, "cancel at poll " << cancelAt);
    CHECK(stars.empty());
    CHECK_EQ(calls, cancelAt);
  }
}

TEST(black_padding_gives_no_edge_detections) {
  Rng rng(10);
  for (int layout = 0; layout < 3; ++layout) {
    Frame f(256, 256, 1000.0f);
    addNoise(f, rng, 10.0);
    const auto candidates = scatterStars(rng, f.width, f.height, 30, 10, 20, 2e4, 1e5);
    // Padding: left half, a rotated frame's corner wedges, or the right half with a ragged edge.
    auto padded = [&](double x, double y) {
      switch (layout) {
        case 0: return x < 128;
        case 1: return x + y < 100 || (255 - x) + (255 - y) < 140 || y - x > 150;
        default: return x > 140 + 6 * std::sin(y / 9.0);
      }
    };
    std::vector<TrueStar> truth;
    for (const TrueStar& s : candidates) {
      // Keep stars clear of the padding so each is whole.
      bool clear = true;
      for (int dy = -8; dy <= 8; dy += 2)
        for (int dx = -8; dx <= 8; dx += 2) clear = clear && !padded(s.x + dx, s.y + dy);
      if (clear) truth.push_back(s);
    }
    for (const TrueStar& s : truth) addStar(f, s.x, s.y, s.flux, kPsfSigma);
    for (int y = 0; y < f.height; ++y)
      for (int x = 0; x < f.width; ++x)
        if (padded(x, y)) f.at(x, y) = 0.0f;
    const Detection d = detect(f, paramsFor(kPsfSigma));
    CHECK(d.status == DetectStatus::Ok);
    CHECK(d.stats.maskedPixels > 0);
    for (const Star& s : d.stars) {
      bool real = false;
      for (const TrueStar& t : truth) real = real || std::hypot(s.x - t.x, s.y - t.y) < 1.0;
      CHECK_MSG(real, "layout " << layout << ": spurious detection at (" << s.x << ", " << s.y
                                << ") snr " << s.snr);
    }
    int found = 0;
    for (const TrueStar& t : truth) found += nearest(d.stars, t.x, t.y, 0.2) >= 0;
    CHECK_MSG(found == static_cast<int>(truth.size()),
              "layout " << layout << ": found " << found << " of " << truth.size());
  }
}

TEST(nan_holes_do_not_create_stars) {
  Rng rng(11);
  Frame f(200, 150, 1000.0f);
  addNoise(f, rng, 10.0);
  addStar(f, 100.3, 75.6, 5e4, kPsfSigma);
  for (int y = 20; y < 40; ++y)
    for (int x = 20; x < 60; ++x) f.at(x, y) = std::numeric_limits<float>::quiet_NaN();
  for (int i = 0; i < 50; ++i) {
    f.at(static_cast<int>(rng.uniform(0, 200)), static_cast<int>(rng.uniform(0, 150))) =
        std::numeric_limits<float>::quiet_NaN();
  }
  f.at(100, 74) = std::numeric_limits<float>::quiet_NaN();  // a hole in the star itself
  const Detection d = detect(f, paramsFor(kPsfSigma));
  CHECK(d.status == DetectStatus::Ok);
  CHECK_EQ(d.stars.size(), size_t{1});
  CHECK_EQ(countWithin(d.stars, 100.3, 75.6, 1.0), 1);
  for (const Star& s : d.stars) CHECK(std::isfinite(s.x) && std::isfinite(s.flux));
}

TEST(max_stars_keeps_the_brightest) {
  Rng rng(12);
  Frame f(256, 256, 1000.0f);
  addNoise(f, rng, 10.0);
  // Fluxes 15 % apart, far more than the aperture sums' noise, so the order is unambiguous.
  auto truth = scatterStars(rng, f.width, f.height, 20, 10, 20, 1, 1);
  for (size_t i = 0; i < truth.size(); ++i) truth[i].flux = 1e5 * std::pow(0.87, double(i));
  for (const TrueStar& s : truth) addStar(f, s.x, s.y, s.flux, kPsfSigma);
  DetectParams p = paramsFor(kPsfSigma);
  p.maxStars = 5;
  const Detection d = detect(f, p);
  CHECK_EQ(d.stars.size(), size_t{5});
  std::sort(truth.begin(), truth.end(), [](auto& a, auto& b) { return a.flux > b.flux; });
  for (size_t i = 0; i < 5 && i < d.stars.size(); ++i) {
    CHECK_MSG(std::hypot(d.stars[i].x - truth[i].x, d.stars[i].y - truth[i].y) < 0.1,
              "rank " << i);
    // The aperture holds most of the flux (radius 4.5 px = 3 sigma: 98.9 %).
    CHECK_NEAR(d.stars[i].flux / truth[i].flux, 0.989, 0.03);
  }
}

TEST(detection_is_deterministic) {
  Rng rng(13);
  Frame f(200, 200, 1000.0f);
  addNoise(f, rng, 10.0);
  for (const TrueStar& s : scatterStars(rng, 200, 200, 30, 5, 8, 300, 1e5)) {
    addStar(f, s.x, s.y, s.flux, kPsfSigma);
  }
  const Detection a = detect(f, paramsFor(kPsfSigma));
  const Detection b = detect(f, paramsFor(kPsfSigma));
  CHECK_EQ(a.stars.size(), b.stars.size());
  for (size_t i = 0; i < a.stars.size() && i < b.stars.size(); ++i) {
    CHECK(a.stars[i].x == b.stars[i].x && a.stars[i].y == b.stars[i].y);
  }
}
