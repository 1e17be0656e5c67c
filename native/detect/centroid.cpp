#include "centroid.h"

#include <cmath>

namespace asterism {

bool centroid3x3(const float zin[9], double& dxOut, double& dyOut) {
  dxOut = 0;
  dyOut = 0;
  double z[9];
  bool positive = true;
  for (int i = 0; i < 9; ++i) {
    z[i] = zin[i];
    positive = positive && z[i] > 0;
  }
  if (positive) {
    for (double& v : z) v = std::log(v);
  }
  // On the 3x3 grid the monomials 1, x, y, x^2-2/3, y^2-2/3 and xy are orthogonal, so each
  // least-squares coefficient is a single weighted sum.
  double b = 0, c = 0, d = 0, e = 0, f = 0;
  for (int j = 0; j < 3; ++j) {
    for (int i = 0; i < 3; ++i) {
      const double u = i - 1, v = j - 1, w = z[j * 3 + i];
      b += u * w;
      c += v * w;
      d += (u * u - 2.0 / 3.0) * w;
      e += (v * v - 2.0 / 3.0) * w;
      f += u * v * w;
    }
  }
  b /= 6;
  c /= 6;
  d /= 2;
  e /= 2;
  f /= 4;
  const double det = 4 * d * e - f * f;
  if (!(d < 0 && det > 0)) return false;
  const double dx = (f * c - 2 * e * b) / det;
  const double dy = (f * b - 2 * d * c) / det;
  if (!(std::fabs(dx) <= 1 && std::fabs(dy) <= 1)) return false;
  dxOut = dx;
  dyOut = dy;
  return true;
}

}  // namespace asterism
