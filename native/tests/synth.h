// Synthetic frames for the native tests: seeded noise and Gaussian stars. The generator is
// written out (SplitMix64 + Box-Muller) rather than taken from <random>, whose distributions
// differ between standard libraries, so a seed means the same frame everywhere.
#pragma once

#include <cmath>
#include <algorithm>
#include <cstdint>
#include <numbers>
#include <vector>

namespace asterism::test {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t nextU64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(nextU64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  double normal() {
    if (hasSpare_) {
      hasSpare_ = false;
      return spare_;
    }
    double u = 0;
    while (u == 0) u = uniform();
    const double v = uniform();
    const double r = std::sqrt(-2 * std::log(u));
    spare_ = r * std::sin(2 * std::numbers::pi * v);
    hasSpare_ = true;
    return r * std::cos(2 * std::numbers::pi * v);
  }

 private:
  uint64_t state_;
  double spare_ = 0;
  bool hasSpare_ = false;
};

struct Frame {
  int width = 0, height = 0;
  std::vector<float> pixels;
  Frame(int w, int h, float value = 0) : width(w), height(h), pixels(size_t(w) * h, value) {}
  float& at(int x, int y) { return pixels[size_t(y) * width + x]; }
};

struct TrueStar {
  double x, y, flux;
};

// Fraction of a unit Gaussian's mass between a and b.
inline double gaussianMass(double a, double b, double sigma) {
  const double s = sigma * std::sqrt(2.0);
  return 0.5 * (std::erf(b / s) - std::erf(a / s));
}

// Adds a circular Gaussian star of total `flux`, integrated over each pixel (pixel centres at
// integer coordinates), within 6 sigma of its centre.
inline void addStar(Frame& f, double cx, double cy, double flux, double sigma) {
  const int r = static_cast<int>(std::ceil(6 * sigma));
  const int x0 = std::max(0, static_cast<int>(std::floor(cx)) - r);
  const int x1 = std::min(f.width - 1, static_cast<int>(std::floor(cx)) + r + 1);
  const int y0 = std::max(0, static_cast<int>(std::floor(cy)) - r);
  const int y1 = std::min(f.height - 1, static_cast<int>(std::floor(cy)) + r + 1);
  for (int y = y0; y <= y1; ++y) {
    const double my = gaussianMass(y - 0.5 - cy, y + 0.5 - cy, sigma);
    for (int x = x0; x <= x1; ++x) {
      const double mx = gaussianMass(x - 0.5 - cx, x + 0.5 - cx, sigma);
      f.at(x, y) += static_cast<float>(flux * mx * my);
    }
  }
}

// Adds a star sampled at pixel centres (not integrated): exactly Gaussian on the pixel grid.
inline void addSampledStar(Frame& f, double cx, double cy, double peak, double sigma) {
  for (int y = 0; y < f.height; ++y) {
    for (int x = 0; x < f.width; ++x) {
      const double r2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
      f.at(x, y) += static_cast<float>(peak * std::exp(-0.5 * r2 / (sigma * sigma)));
    }
  }
}

inline void addNoise(Frame& f, Rng& rng, double sigma) {
  for (float& v : f.pixels) v += static_cast<float>(sigma * rng.normal());
}

// `count` stars at random sub-pixel positions, at least `margin` from the edges and
// `separation` from each other, with fluxes in [minFlux, maxFlux].
inline std::vector<TrueStar> scatterStars(Rng& rng, int width, int height, int count,
                                          double margin, double separation, double minFlux,
                                          double maxFlux) {
  std::vector<TrueStar> out;
  int attempts = 0;
  while (static_cast<int>(out.size()) < count && attempts++ < 100000) {
    const TrueStar s{rng.uniform(margin, width - 1 - margin),
                     rng.uniform(margin, height - 1 - margin), rng.uniform(minFlux, maxFlux)};
    bool clear = true;
    for (const TrueStar& o : out) {
      clear = clear && std::hypot(o.x - s.x, o.y - s.y) >= separation;
    }
    if (clear) out.push_back(s);
  }
  return out;
}

}  // namespace asterism::test
