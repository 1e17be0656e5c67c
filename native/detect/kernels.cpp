#include "kernels.h"

#include <limits>

namespace asterism::kernels {

ASTERISM_VECTOR_CLONES
void accumulate(float* __restrict dst, const float* __restrict src, float w, int n) {
  for (int x = 0; x < n; ++x) dst[x] += w * src[x];
}

ASTERISM_VECTOR_CLONES
void scale(float* __restrict dst, const float* __restrict src, float w, int n) {
  for (int x = 0; x < n; ++x) dst[x] = w * src[x];
}

ASTERISM_VECTOR_CLONES
void flatten(const float* __restrict src, const float* __restrict background,
             const uint8_t* __restrict padding, float* __restrict out, int n) {
  // v - v == 0 is false exactly for NaN and infinities; unlike std::isfinite it vectorises.
  if (padding == nullptr) {
    for (int x = 0; x < n; ++x) {
      const float v = src[x];
      out[x] = v - v == 0.0f ? v - background[x] : 0.0f;
    }
  } else {
    for (int x = 0; x < n; ++x) {
      const float v = src[x];
      out[x] = v - v == 0.0f && !padding[x] ? v - background[x] : 0.0f;
    }
  }
}

ASTERISM_VECTOR_CLONES
void cubic(float* __restrict out, int x0, int n, double k, double v, double b, double c, double d) {
  for (int i = 0; i < n; ++i) {
    const double u = (x0 + i) - k;
    out[i] = static_cast<float>(v + u * (b + u * (c + u * d)));
  }
}

ASTERISM_VECTOR_CLONES
void finiteMin(const float* __restrict src, int64_t n, float& minValue, int64_t& nonFinite) {
  // Eight running minima: a single one is a reduction the compiler may not reorder.
  constexpr int kLanes = 8;
  float lane[kLanes];
  int32_t bad[kLanes] = {};
  for (float& l : lane) l = std::numeric_limits<float>::infinity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float v = src[i + l];
      const bool finite = v - v == 0.0f;
      bad[l] += finite ? 0 : 1;
      lane[l] = finite && v < lane[l] ? v : lane[l];
    }
  }
  float m = std::numeric_limits<float>::infinity();
  int64_t count = 0;
  for (int l = 0; l < kLanes; ++l) {
    m = lane[l] < m ? lane[l] : m;
    count += bad[l];
  }
  for (; i < n; ++i) {
    const float v = src[i];
    const bool finite = v - v == 0.0f;
    count += finite ? 0 : 1;
    m = finite && v < m ? v : m;
  }
  minValue = m;
  nonFinite = count;
}

ASTERISM_VECTOR_CLONES
int64_t countEqual(const float* __restrict src, int64_t n, float value) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; ++i) count += src[i] == value ? 1 : 0;
  return count;
}

}  // namespace asterism::kernels
