/**
 * The gnomonic (TAN) projection and the linear TAN WCS built on it.
 *
 * Sign convention (FITS WCS Paper II, Calabretta & Greisen 2002, §5.1.3 with the default
 * LONPOLE = 180° for a zenithal projection): the intermediate world coordinates (x, y) are
 * in degrees, x increases toward EAST (increasing RA) and y toward NORTH (increasing Dec)
 * at the tangent point. Near the tangent point x ≈ ΔRA·cos Dec and y ≈ ΔDec. This is
 * the standard ξ, η of the gnomonic projection. An image displayed with north up and east
 * left therefore has CD1_1 < 0.
 *
 * Pixel convention: asterism pixel coordinates put the centre of the first pixel at (0, 0),
 * x along a row, y down the stored rows (as for detected stars). FITS puts that centre at (1, 1)
 * with the same axis directions, so `crpix` here = FITS CRPIXn − 1. Use
 * {@link tanWcsFromFits} and {@link tanWcsToFits} to convert headers; they apply the offset.
 *
 * @example
 * ```ts
 * const wcs: TanWcs = { crval: [150, 2], crpix: [511.5, 511.5], cd: [[-1e-4, 0], [0, 1e-4]] };
 * const { ra, dec } = pixelToSky(wcs, 0, 0);
 * const p = skyToPixel(wcs, ra, dec);      // { x: 0, y: 0 } (up to rounding)
 * ```
 */
import { AsterismError } from '../errors.js';
import { normalize, radecToVec, radToDeg, degToRad, vecToRadec, type RaDec, type Vec3 } from './vector.js';

/** A point in the tangent plane: intermediate world coordinates, degrees (x east, y north). */
export interface TanPoint {
  /** Toward increasing RA (east) at the tangent point, degrees. */
  x: number;
  /** Toward increasing Dec (north) at the tangent point, degrees. */
  y: number;
}

/** Where a tangent plane touches the sphere: a unit vector or an RA/Dec in degrees. */
export type TangentPoint = Vec3 | RaDec;

/** Stars whose direction cosine to the tangent point is at most this are beyond the horizon (cos 90° rounds to 6e−17, not 0). */
const HORIZON_COS = 1e-12;

/** Unit vectors of the tangent plane: `r` the tangent point, `east` and `north` the axes. */
interface TangentBasis {
  r: Vec3;
  east: Vec3;
  north: Vec3;
}

function basisOf(tangent: TangentPoint): TangentBasis {
  let ra: number, dec: number;
  if (Array.isArray(tangent)) {
    const rd = vecToRadec(tangent as Vec3);
    ra = rd.ra;
    dec = rd.dec;
  } else {
    ({ ra, dec } = tangent as RaDec);
  }
  const a = degToRad(ra), d = degToRad(dec);
  const sa = Math.sin(a), ca = Math.cos(a), sd = Math.sin(d), cd = Math.cos(d);
  return {
    r: [cd * ca, cd * sa, sd],
    east: [-sa, ca, 0],
    north: [-sd * ca, -sd * sa, cd],
  };
}

function toVec(p: Vec3 | RaDec): Vec3 {
  return Array.isArray(p) ? normalize(p as Vec3) : radecToVec((p as RaDec).ra, (p as RaDec).dec);
}

/**
 * Gnomonic projection of `star` onto the plane tangent at `tangent`.
 *
 * @returns Intermediate world coordinates in degrees (x east, y north), or `null` when the
 * star is on the far hemisphere or on the horizon (90° or more from the tangent point, to
 * within 1e−12 rad), where the projection is undefined or meaningless (> 1e12 rad).
 * At a pole tangent point, "north" is along the meridian RA = tangent RA (from a vector
 * tangent at a pole, RA 0).
 */
export function tanProject(tangent: TangentPoint, star: Vec3 | RaDec): TanPoint | null {
  const { r, east, north } = basisOf(tangent);
  const s = toVec(star);
  const d = s[0] * r[0] + s[1] * r[1] + s[2] * r[2];
  if (!(d > HORIZON_COS)) return null;
  const xi = (s[0] * east[0] + s[1] * east[1] + s[2] * east[2]) / d;
  const eta = (s[0] * north[0] + s[1] * north[1] + s[2] * north[2]) / d;
  return { x: radToDeg(xi), y: radToDeg(eta) };
}

/** Inverse of {@link tanProject}: the unit vector at intermediate coordinates (`x`, `y`) degrees. */
export function tanDeproject(tangent: TangentPoint, x: number, y: number): Vec3 {
  const { r, east, north } = basisOf(tangent);
  const xi = degToRad(x), eta = degToRad(y);
  return normalize([
    r[0] + xi * east[0] + eta * north[0],
    r[1] + xi * east[1] + eta * north[1],
    r[2] + xi * east[2] + eta * north[2],
  ]);
}

/**
 * A linear TAN world coordinate system (no distortion). Plain, JSON-serialisable data.
 *
 * intermediate (x, y) in degrees = cd · (pixel − crpix); sky = TAN⁻¹ about `crval`.
 */
export interface TanWcs {
  /** Tangent point [RA, Dec], degrees (FITS CRVAL1, CRVAL2). */
  crval: [number, number];
  /**
   * Reference pixel [x, y] in asterism pixel coordinates (centre of the first pixel = 0, 0),
   * i.e. FITS [CRPIX1 − 1, CRPIX2 − 1].
   */
  crpix: [number, number];
  /** Linear transform [[CD1_1, CD1_2], [CD2_1, CD2_2]], degrees per pixel. */
  cd: [[number, number], [number, number]];
}

/** Sky position, degrees, of the asterism pixel coordinate (`x`, `y`). */
export function pixelToSky(wcs: TanWcs, x: number, y: number): RaDec {
  const dx = x - wcs.crpix[0], dy = y - wcs.crpix[1];
  const [[a, b], [c, d]] = wcs.cd;
  return vecToRadec(tanDeproject({ ra: wcs.crval[0], dec: wcs.crval[1] }, a * dx + b * dy, c * dx + d * dy));
}

/**
 * Asterism pixel coordinate of a sky position (degrees), or `null` when it is on the far
 * hemisphere from the tangent point. Throws `E_INVALID_ARGUMENT` if `cd` is singular.
 */
export function skyToPixel(wcs: TanWcs, ra: number, dec: number): { x: number; y: number } | null {
  const p = tanProject({ ra: wcs.crval[0], dec: wcs.crval[1] }, { ra, dec });
  if (p === null) return null;
  const [[a, b], [c, d]] = wcs.cd;
  const det = a * d - b * c;
  if (!(det !== 0) || !Number.isFinite(det)) throw new AsterismError('E_INVALID_ARGUMENT', 'the WCS CD matrix is singular');
  return {
    x: wcs.crpix[0] + (d * p.x - b * p.y) / det,
    y: wcs.crpix[1] + (-c * p.x + a * p.y) / det,
  };
}

/** Mean pixel scale of a TAN WCS at its reference pixel, arcseconds per pixel: √|det CD| × 3600. */
export function tanWcsPixelScaleArcsec(wcs: TanWcs): number {
  const [[a, b], [c, d]] = wcs.cd;
  return Math.sqrt(Math.abs(a * d - b * c)) * 3600;
}

/** The FITS keywords of a TAN WCS (values as they appear in a header: CRPIX 1-based). */
export interface TanFitsKeywords {
  CTYPE1: 'RA---TAN';
  CTYPE2: 'DEC--TAN';
  /** Degrees. */
  CRVAL1: number;
  CRVAL2: number;
  /** 1-based FITS pixel coordinates. */
  CRPIX1: number;
  CRPIX2: number;
  /** Degrees per pixel. */
  CD1_1: number;
  CD1_2: number;
  CD2_1: number;
  CD2_2: number;
}

/**
 * TAN WCS from FITS header values. CRPIXn are 1-based in FITS, so `crpix` = CRPIXn − 1.
 * Missing CD terms default to 0; CDELTn/PC headers are not handled here.
 */
export function tanWcsFromFits(h: Pick<TanFitsKeywords, 'CRVAL1' | 'CRVAL2' | 'CRPIX1' | 'CRPIX2'> & Partial<TanFitsKeywords>): TanWcs {
  for (const key of ['CRVAL1', 'CRVAL2', 'CRPIX1', 'CRPIX2'] as const) {
    if (!Number.isFinite(h[key])) throw new AsterismError('E_INVALID_ARGUMENT', `FITS WCS keyword ${key} must be a finite number`);
  }
  return {
    crval: [h.CRVAL1, h.CRVAL2],
    crpix: [h.CRPIX1 - 1, h.CRPIX2 - 1],
    cd: [[h.CD1_1 ?? 0, h.CD1_2 ?? 0], [h.CD2_1 ?? 0, h.CD2_2 ?? 0]],
  };
}

/** FITS header values of a TAN WCS: CRPIXn = `crpix` + 1. */
export function tanWcsToFits(wcs: TanWcs): TanFitsKeywords {
  return {
    CTYPE1: 'RA---TAN',
    CTYPE2: 'DEC--TAN',
    CRVAL1: wcs.crval[0],
    CRVAL2: wcs.crval[1],
    CRPIX1: wcs.crpix[0] + 1,
    CRPIX2: wcs.crpix[1] + 1,
    CD1_1: wcs.cd[0][0],
    CD1_2: wcs.cd[0][1],
    CD2_1: wcs.cd[1][0],
    CD2_2: wcs.cd[1][1],
  };
}
