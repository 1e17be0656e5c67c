/**
 * Points on the celestial sphere as unit vectors, and the small amount of spherical
 * geometry the solver needs: conversions, angular distances, chord distances (what the
 * kd-tree over star vectors measures), bearings and centroids.
 *
 * Frame: x points to RA 0°, Dec 0°; y to RA 90°, Dec 0°; z to the north celestial pole.
 * Angles that cross the API are in degrees unless the name says otherwise (`…Rad`,
 * `…Arcsec`); the vector functions `angleBetween` and the chord helpers work in radians
 * because they sit next to vector arithmetic.
 *
 * @example
 * ```ts
 * const a = radecToVec(10.684, 41.269);   // M31
 * const b = radecToVec(13.158, 30.660);   // M33
 * radToDeg(angleBetween(a, b));           // ≈ 14.8
 * ```
 */
import { AsterismError } from '../errors.js';

/** A 3-vector. Sky positions are unit vectors in the frame described in this module's header. */
export type Vec3 = readonly [number, number, number];

/** A sky position in equatorial coordinates. */
export interface RaDec {
  /** Right ascension, degrees in [0, 360) when produced by asterism. */
  ra: number;
  /** Declination, degrees in [−90, 90]. */
  dec: number;
}

const DEG_PER_RAD = 180 / Math.PI;
const RAD_PER_DEG = Math.PI / 180;

/** Degrees → radians. */
export function degToRad(deg: number): number {
  return deg * RAD_PER_DEG;
}

/** Radians → degrees. */
export function radToDeg(rad: number): number {
  return rad * DEG_PER_RAD;
}

/** Arcseconds → degrees. */
export function arcsecToDeg(arcsec: number): number {
  return arcsec / 3600;
}

/** Degrees → arcseconds. */
export function degToArcsec(deg: number): number {
  return deg * 3600;
}

/** Arcminutes → degrees. */
export function arcminToDeg(arcmin: number): number {
  return arcmin / 60;
}

/** Degrees → arcminutes. */
export function degToArcmin(deg: number): number {
  return deg * 60;
}

/** Arcseconds → radians. */
export function arcsecToRad(arcsec: number): number {
  return (arcsec / 3600) * RAD_PER_DEG;
}

/** Radians → arcseconds. */
export function radToArcsec(rad: number): number {
  return rad * DEG_PER_RAD * 3600;
}

/**
 * Pixel scale of a camera behind a telescope, arcseconds per pixel:
 * 206.265 × pixel size (µm) / focal length (mm), the small-angle plate scale.
 *
 * @param pixelSizeUm - Pixel pitch, micrometres (after binning).
 * @param focalLengthMm - Effective focal length, millimetres.
 */
export function pixelScaleArcsec(pixelSizeUm: number, focalLengthMm: number): number {
  if (!(pixelSizeUm > 0) || !(focalLengthMm > 0)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `pixel size (${pixelSizeUm} µm) and focal length (${focalLengthMm} mm) must be positive`);
  }
  return radToArcsec((pixelSizeUm * 1e-3) / focalLengthMm);
}

/**
 * Angular extent of `pixels` pixels at `arcsecPerPixel`, degrees (small-angle, exact for a
 * TAN projection only near the tangent point).
 */
export function fieldSizeDeg(pixels: number, arcsecPerPixel: number): number {
  return arcsecToDeg(pixels * arcsecPerPixel);
}

/**
 * Wraps a right ascension into [0, 360) degrees. Values that round up to 360 (for example
 * −1e−15) come back as 0, so the result is always strictly below 360.
 */
export function normalizeRa(raDeg: number): number {
  if (!Number.isFinite(raDeg)) {
    throw new AsterismError('E_INVALID_ARGUMENT', `right ascension must be finite, got ${raDeg}`);
  }
  const r = raDeg % 360;
  const wrapped = r < 0 ? r + 360 : r;
  return wrapped >= 360 ? 0 : wrapped + 0; // + 0 turns −0 into 0
}

/** Unit vector of the sky position (`raDeg`, `decDeg`), both in degrees. */
export function radecToVec(raDeg: number, decDeg: number): Vec3 {
  const ra = raDeg * RAD_PER_DEG;
  const dec = decDeg * RAD_PER_DEG;
  const c = Math.cos(dec);
  return [c * Math.cos(ra), c * Math.sin(ra), Math.sin(dec)];
}

/**
 * Sky position of a vector, degrees. The vector need not be normalised; a zero vector
 * throws `E_INVALID_ARGUMENT`. At the poles the right ascension is 0.
 * Declination uses atan2 so it stays accurate near the poles.
 */
export function vecToRadec(v: Vec3): RaDec {
  const [x, y, z] = v;
  const rho = Math.hypot(x, y);
  if (rho === 0 && z === 0) throw new AsterismError('E_INVALID_ARGUMENT', 'cannot take the direction of a zero vector');
  const ra = rho === 0 ? 0 : normalizeRa(Math.atan2(y, x) * DEG_PER_RAD);
  return { ra, dec: Math.atan2(z, rho) * DEG_PER_RAD };
}

/** Dot product. */
export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/** Cross product a × b. */
export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** `v` scaled to unit length. A zero or non-finite vector throws `E_INVALID_ARGUMENT`. */
export function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  if (!(n > 0) || !Number.isFinite(n)) throw new AsterismError('E_INVALID_ARGUMENT', `cannot normalise vector [${v.join(', ')}]`);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Squared Euclidean distance |a − b|²; for unit vectors this is the squared chord length. */
export function distSq(a: Vec3, b: Vec3): number {
  const dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
  return dx * dx + dy * dy + dz * dz;
}

/**
 * Angle between two vectors, radians in [0, π]. Computed as atan2(|a × b|, a · b), which
 * keeps full relative precision for tiny angles (where acos of the dot product loses it)
 * and near π (where asin of the cross product does). Vectors need not be normalised.
 */
export function angleBetween(a: Vec3, b: Vec3): number {
  const c = cross(a, b);
  return Math.atan2(Math.hypot(c[0], c[1], c[2]), dot(a, b));
}

/** Angular separation of two sky positions, degrees in [0, 180]. */
export function separationDeg(a: RaDec, b: RaDec): number {
  return angleBetween(radecToVec(a.ra, a.dec), radecToVec(b.ra, b.dec)) * DEG_PER_RAD;
}

/**
 * Squared chord length between two unit vectors separated by `angleRad`:
 * (2 sin(θ/2))². Use it to turn an angular search radius into a kd-tree radius.
 */
export function angleToChordSq(angleRad: number): number {
  const s = 2 * Math.sin(angleRad / 2);
  return s * s;
}

/**
 * Angle, radians in [0, π], subtended by a chord of squared length `chordSq` on the unit
 * sphere: 2 asin(√chordSq / 2). Inputs slightly above 4 (rounding) give π.
 */
export function chordSqToAngle(chordSq: number): number {
  if (!(chordSq >= 0)) throw new AsterismError('E_INVALID_ARGUMENT', `squared chord length must be ≥ 0, got ${chordSq}`);
  return 2 * Math.asin(Math.min(1, Math.sqrt(chordSq) / 2));
}

/**
 * Position angle (bearing) of `to` as seen from `from`: degrees east of north, in [0, 360).
 * North is 0, east 90. Returns 0 when the points coincide. At a pole the directions are
 * those at the end of the meridian RA = `from.ra`, as the formula's limit gives.
 */
export function positionAngleDeg(from: RaDec, to: RaDec): number {
  const d1 = from.dec * RAD_PER_DEG, d2 = to.dec * RAD_PER_DEG;
  const da = (to.ra - from.ra) * RAD_PER_DEG;
  const east = Math.sin(da) * Math.cos(d2);
  const north = Math.cos(d1) * Math.sin(d2) - Math.sin(d1) * Math.cos(d2) * Math.cos(da);
  if (east === 0 && north === 0) return 0;
  return normalizeRa(Math.atan2(east, north) * DEG_PER_RAD);
}

/**
 * Centroid of unit vectors on the sphere: the normalised vector sum. For two points this is
 * the midpoint of the shorter great-circle arc. Throws `E_INVALID_ARGUMENT` for an empty
 * list or when the vectors cancel (for example two antipodal points), where no centroid exists.
 */
export function centroid(vectors: readonly Vec3[]): Vec3 {
  if (vectors.length === 0) throw new AsterismError('E_INVALID_ARGUMENT', 'centroid of an empty list of vectors');
  let x = 0, y = 0, z = 0;
  for (const v of vectors) {
    x += v[0];
    y += v[1];
    z += v[2];
  }
  const n = Math.hypot(x, y, z);
  if (!(n > 1e-12 * vectors.length) || !Number.isFinite(n)) {
    throw new AsterismError('E_INVALID_ARGUMENT', 'the vectors cancel out; their centroid is undefined');
  }
  return [x / n, y / n, z / n];
}

/** Midpoint of the shorter great-circle arc between unit vectors `a` and `b` (see {@link centroid}). */
export function midpoint(a: Vec3, b: Vec3): Vec3 {
  return centroid([a, b]);
}
