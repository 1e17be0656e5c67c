// Sub-pixel centroid from the 3x3 pixels around a peak.
#pragma once

namespace asterism {

// z: the 3x3 box row by row, centre at z[4]. Least-squares fit of
// q = a + b x + c y + d x^2 + e y^2 + f x y, where q is ln(z) when all nine values are positive
// (exact for a Gaussian star) and z itself otherwise. The vertex is the centroid offset.
// Returns false, leaving (dx, dy) at 0, when the fit has no maximum or its vertex lies outside
// the box; the caller then keeps the peak pixel.
bool centroid3x3(const float z[9], double& dx, double& dy);

}  // namespace asterism
