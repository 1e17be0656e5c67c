/**
 * The TAN-SIP world coordinate system the solver returns: the linear TAN WCS of ./tan.ts plus
 * the Simple Imaging Polynomial distortion (Shupe et al. 2005, "The SIP Convention for
 * Representing Distortion in FITS Image Headers"), its FITS cards, a header-only `.wcs` file
 * like solve-field's, a weighted least-squares fit from matched stars (astrometry.net's
 * fit-wcs), and the summary numbers astrometry.net prints (scale, rotation, parity, size).
 *
 * Pixel convention: as in ./tan.ts, asterism pixel coordinates put the centre of the first
 * pixel at (0, 0) and `crpix` = FITS CRPIXn − 1. With u = x − crpix[0], v = y − crpix[1]:
 *
 * ```
 * forward:  u' = u + A(u, v),  v' = v + B(u, v);   (ξ, η) = CD · (u', v');   sky = TAN⁻¹(ξ, η)
 * inverse:  (U, V) = CD⁻¹ · TAN(sky);              u = U + AP(U, V),  v = V + BP(U, V)
 * ```
 *
 * The inverse polynomial is only a first guess here: {@link wcsSkyToPixel} polishes it with
 * Newton steps on the forward polynomial, so sky → pixel → sky round trips agree to ~1e−9 px.
 *
 * @example
 * ```ts
 * const { wcs, rmsPixels } = fitWcs(pairs, { crpix: [w / 2 - 0.5, h / 2 - 0.5], sipOrder: 3, imageWidth: w, imageHeight: h });
 * const { ra, dec } = wcsPixelToSky(wcs, 100, 200);
 * writeFileSync('field.wcs', writeWcsHeaderFile(wcs));
 * ```
 */
import { AsterismError } from '../errors.js';
import { fitsHeaderBytes, formatFitsCard, type FitsHeaderCard } from '../image/fits-write.js';
import { pixelToSky, skyToPixel, tanDeproject, tanProject, tanWcsPixelScaleArcsec, type TanWcs } from './tan.js';
import { degToRad, normalize, radecToVec, radToDeg, separationDeg, vecToRadec, type RaDec, type Vec3 } from './vector.js';

/**
 * SIP distortion (Shupe et al. 2005). Coefficient arrays are indexed `[p][q]` for the term
 * u^p v^q, pixels, and hold at least every p + q ≤ order (missing entries count as 0).
 *
 * The forward A, B are used for 2 ≤ p + q ≤ `order` as the convention prescribes (lower terms
 * are zero when asterism writes them; when a header read with {@link wcsFromFitsCards} has
 * nonzero lower terms they are applied, as astropy and wcslib do). The inverse AP, BP use every
 * term 0 ≤ p + q ≤ `apOrder`, as astrometry.net fits them.
 */
export interface SipDistortion {
  /** Order of A and B (A_ORDER, B_ORDER), 2 … 9. */
  order: number;
  /** Forward x distortion, pixels: u' = u + Σ a[p][q] u^p v^q. */
  a: number[][];
  /** Forward y distortion, pixels: v' = v + Σ b[p][q] u^p v^q. */
  b: number[][];
  /** Order of AP and BP (AP_ORDER, BP_ORDER); 0 when the header had no inverse (Newton iteration alone then inverts). */
  apOrder: number;
  /** Inverse x polynomial: u = U + Σ ap[p][q] U^p V^q. */
  ap: number[][];
  /** Inverse y polynomial: v = V + Σ bp[p][q] U^p V^q. */
  bp: number[][];
}

/**
 * A TAN or TAN-SIP world coordinate system. Plain JSON-serialisable data; `crpix` is 0-based
 * (asterism pixel convention), as in {@link TanWcs}.
 */
export interface Wcs extends TanWcs {
  /** Distortion; absent for a pure TAN WCS. */
  sip?: SipDistortion;
  /** Image width in pixels (FITS IMAGEW), when known. */
  imageWidth?: number;
  /** Image height in pixels (FITS IMAGEH), when known. */
  imageHeight?: number;
}

/** Highest SIP order {@link fitWcs} fits (its inverse is then order 6). */
const MAX_FIT_SIP_ORDER = 5;
/** Highest SIP order read from or written to FITS: the keyword A_p_q has one digit per index. */
const MAX_FITS_SIP_ORDER = 9;
/**
 * The refit stops moving the tangent point once the fitted constant terms are below this,
 * degrees. Smaller than the brief's 1e−10° because near a pole a tangent-point error ε turns
 * the axes by ε·tan(Dec) (5e−10 rad for 1e−10° at Dec 89.9°); each round shrinks ε ~1000-fold.
 */
const TANGENT_TOLERANCE_DEG = 1e-12;
/** Upper bound on tangent-point refits in {@link fitWcs}; it converges in 3–5. */
const MAX_TANGENT_ITERATIONS = 10;
/** Newton polishing of the inverse stops when the step is below this, pixels. */
const NEWTON_TOLERANCE_PX = 1e-11;
const MAX_NEWTON_STEPS = 20;

function invalid(message: string): never {
  throw new AsterismError('E_INVALID_ARGUMENT', message);
}

// ---------------------------------------------------------------------------------------------
// Polynomials

/** Σ c[p][q] u^p v^q over p + q ≤ order (powers precomputed by the caller). */
function evalPoly(c: readonly (readonly number[])[], order: number, up: Float64Array, vp: Float64Array): number {
  let s = 0;
  const np = Math.min(c.length - 1, order);
  for (let p = 0; p <= np; p++) {
    const row = c[p];
    if (row === undefined) continue;
    const nq = Math.min(row.length - 1, order - p);
    for (let q = 0; q <= nq; q++) {
      const k = row[q];
      if (k) s += k * up[p] * vp[q];
    }
  }
  return s;
}

/** ∂/∂u and ∂/∂v of the polynomial. */
function evalPolyGradient(c: readonly (readonly number[])[], order: number, up: Float64Array, vp: Float64Array): [number, number] {
  let du = 0, dv = 0;
  const np = Math.min(c.length - 1, order);
  for (let p = 0; p <= np; p++) {
    const row = c[p];
    if (row === undefined) continue;
    const nq = Math.min(row.length - 1, order - p);
    for (let q = 0; q <= nq; q++) {
      const k = row[q];
      if (!k) continue;
      if (p > 0) du += k * p * up[p - 1] * vp[q];
      if (q > 0) dv += k * q * up[p] * vp[q - 1];
    }
  }
  return [du, dv];
}

function powers(x: number, order: number, out: Float64Array): Float64Array {
  out[0] = 1;
  for (let i = 1; i <= order; i++) out[i] = out[i - 1] * x;
  return out;
}

/** The forward SIP distortion: u' = u + A(u, v), v' = v + B(u, v). */
function distort(sip: SipDistortion, u: number, v: number): [number, number] {
  const up = powers(u, sip.order, new Float64Array(sip.order + 1));
  const vp = powers(v, sip.order, new Float64Array(sip.order + 1));
  return [u + evalPoly(sip.a, sip.order, up, vp), v + evalPoly(sip.b, sip.order, up, vp)];
}

/** (u, v) with distort(u, v) = (U, V): the AP/BP polynomial, then Newton steps on the forward polynomial. */
function undistort(sip: SipDistortion, U: number, V: number): [number, number] {
  let u = U, v = V;
  if (sip.apOrder > 0) {
    const Up = powers(U, sip.apOrder, new Float64Array(sip.apOrder + 1));
    const Vp = powers(V, sip.apOrder, new Float64Array(sip.apOrder + 1));
    u = U + evalPoly(sip.ap, sip.apOrder, Up, Vp);
    v = V + evalPoly(sip.bp, sip.apOrder, Up, Vp);
  }
  const start: [number, number] = [u, v];
  const up = new Float64Array(sip.order + 1), vp = new Float64Array(sip.order + 1);
  for (let i = 0; i < MAX_NEWTON_STEPS; i++) {
    powers(u, sip.order, up);
    powers(v, sip.order, vp);
    const fu = U - (u + evalPoly(sip.a, sip.order, up, vp));
    const fv = V - (v + evalPoly(sip.b, sip.order, up, vp));
    const [au, av] = evalPolyGradient(sip.a, sip.order, up, vp);
    const [bu, bv] = evalPolyGradient(sip.b, sip.order, up, vp);
    const j11 = 1 + au, j12 = av, j21 = bu, j22 = 1 + bv;
    const det = j11 * j22 - j12 * j21;
    if (!(Math.abs(det) > 1e-12)) break;
    const du = (j22 * fu - j12 * fv) / det;
    const dv = (-j21 * fu + j11 * fv) / det;
    if (!Number.isFinite(du) || !Number.isFinite(dv)) break;
    u += du;
    v += dv;
    if (Math.abs(du) + Math.abs(dv) < NEWTON_TOLERANCE_PX) break;
  }
  return Number.isFinite(u) && Number.isFinite(v) ? [u, v] : start;
}

// ---------------------------------------------------------------------------------------------
// Transforms

/**
 * Sky position, degrees, of the asterism pixel coordinate (`x`, `y`) (first pixel's centre at
 * 0, 0): SIP distortion about `crpix`, then CD and the inverse gnomonic projection about `crval`.
 *
 * @example
 * ```ts
 * const { ra, dec } = wcsPixelToSky(wcs, 0, 0); // sky position of the centre of the first pixel
 * ```
 */
export function wcsPixelToSky(wcs: Wcs, x: number, y: number): RaDec {
  if (wcs.sip === undefined) return pixelToSky(wcs, x, y);
  const [u, v] = distort(wcs.sip, x - wcs.crpix[0], y - wcs.crpix[1]);
  const [[a, b], [c, d]] = wcs.cd;
  return vecToRadec(tanDeproject({ ra: wcs.crval[0], dec: wcs.crval[1] }, a * u + b * v, c * u + d * v));
}

/**
 * Asterism pixel coordinate of a sky position (degrees), or `null` when it lies 90° or more
 * from the tangent point. With SIP: the inverse polynomial AP/BP gives a first guess that
 * Newton steps on the forward polynomial refine, so pixel → sky → pixel round trips agree to
 * far better than 1e−6 px inside the region where the distortion is invertible.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` when the CD matrix is singular.
 *
 * @example
 * ```ts
 * const p = wcsSkyToPixel(wcs, 10.684, 41.269); // M31 in this frame, or null behind the tangent plane
 * ```
 */
export function wcsSkyToPixel(wcs: Wcs, ra: number, dec: number): { x: number; y: number } | null {
  if (wcs.sip === undefined) return skyToPixel(wcs, ra, dec);
  const p = tanProject({ ra: wcs.crval[0], dec: wcs.crval[1] }, { ra, dec });
  if (p === null) return null;
  const [[a, b], [c, d]] = wcs.cd;
  const det = a * d - b * c;
  if (!(det !== 0) || !Number.isFinite(det)) invalid('the WCS CD matrix is singular');
  const U = (d * p.x - b * p.y) / det;
  const V = (-c * p.x + a * p.y) / det;
  const [u, v] = undistort(wcs.sip, U, V);
  return { x: wcs.crpix[0] + u, y: wcs.crpix[1] + v };
}

// ---------------------------------------------------------------------------------------------
// FITS

/** `<prefix>_ORDER` and the nonzero `<prefix>_p_q` cards of one SIP polynomial. */
function sipCards(prefix: 'A' | 'B' | 'AP' | 'BP', c: readonly (readonly number[])[], order: number): FitsHeaderCard[] {
  const role = prefix.length === 1 ? 'distortion' : 'inverse distortion';
  const out: FitsHeaderCard[] = [[`${prefix}_ORDER`, order, `SIP ${role} order, axis ${prefix.startsWith('A') ? 1 : 2}`]];
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order - p; q++) {
      const k = c[p]?.[q] ?? 0;
      if (k !== 0) out.push([`${prefix}_${p}_${q}`, k, '']);
    }
  }
  return out;
}

/**
 * The FITS header cards of a WCS, `[keyword, value, comment]`, ready for
 * {@link formatFitsCard} or {@link writeFits}'s `extraCards`: WCSAXES, CTYPE ('RA---TAN-SIP'
 * with distortion, 'RA---TAN' without), CUNIT 'deg', EQUINOX 2000, RADESYS 'ICRS', LONPOLE
 * 180, CRVAL, CRPIX (1-based: `crpix` + 1), CD1_1 … CD2_2, then A_ORDER/A_p_q, B_…, AP_…, BP_…
 * (only nonzero terms; the _ORDER cards always) and IMAGEW/IMAGEH when known.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` for non-finite values or a SIP order above 9.
 *
 * @example
 * ```ts
 * const bytes = writeFits(w, h, pixels, { extraCards: wcsToFitsCards(wcs) });
 * ```
 */
export function wcsToFitsCards(wcs: Wcs): FitsHeaderCard[] {
  const suffix = wcs.sip ? '-SIP' : '';
  const cards: FitsHeaderCard[] = [
    ['WCSAXES', 2, 'number of WCS axes'],
    ['CTYPE1', `RA---TAN${suffix}`, 'gnomonic projection' + (wcs.sip ? ' + SIP distortion' : '')],
    ['CTYPE2', `DEC--TAN${suffix}`, 'gnomonic projection' + (wcs.sip ? ' + SIP distortion' : '')],
    ['CUNIT1', 'deg', ''],
    ['CUNIT2', 'deg', ''],
    ['EQUINOX', 2000, 'equatorial coordinates definition (yr)'],
    ['RADESYS', 'ICRS', ''],
    ['LONPOLE', 180, 'native longitude of celestial pole (deg)'],
    ['CRVAL1', wcs.crval[0], 'RA of reference point (deg)'],
    ['CRVAL2', wcs.crval[1], 'Dec of reference point (deg)'],
    ['CRPIX1', wcs.crpix[0] + 1, 'x of reference point (pixel, 1-based)'],
    ['CRPIX2', wcs.crpix[1] + 1, 'y of reference point (pixel, 1-based)'],
    ['CD1_1', wcs.cd[0][0], 'transformation matrix (deg/pixel)'],
    ['CD1_2', wcs.cd[0][1], ''],
    ['CD2_1', wcs.cd[1][0], ''],
    ['CD2_2', wcs.cd[1][1], ''],
  ];
  if (wcs.sip) {
    const { order, apOrder } = wcs.sip;
    if (!Number.isInteger(order) || order < 0 || order > MAX_FITS_SIP_ORDER) invalid(`SIP order ${order} cannot be written (0 … 9)`);
    if (!Number.isInteger(apOrder) || apOrder < 0 || apOrder > MAX_FITS_SIP_ORDER) invalid(`SIP inverse order ${apOrder} cannot be written (0 … 9)`);
    cards.push(...sipCards('A', wcs.sip.a, order), ...sipCards('B', wcs.sip.b, order));
    if (apOrder > 0) cards.push(...sipCards('AP', wcs.sip.ap, apOrder), ...sipCards('BP', wcs.sip.bp, apOrder));
  }
  if (wcs.imageWidth !== undefined) cards.push(['IMAGEW', wcs.imageWidth, 'image width (pixels)']);
  if (wcs.imageHeight !== undefined) cards.push(['IMAGEH', wcs.imageHeight, 'image height (pixels)']);
  for (const [keyword, value] of cards) {
    if (typeof value === 'number' && !Number.isFinite(value)) invalid(`WCS value ${keyword} = ${value} is not finite`);
  }
  return cards;
}

type CardLike = { keyword: string; value: string | number | boolean | null };

function readSipArray(
  values: Map<string, CardLike['value']>, prefix: string, order: number,
): number[][] {
  const out = zeroArray(order);
  const pattern = new RegExp(`^${prefix}_(\\d)_(\\d)$`);
  for (const [key, value] of values) {
    const m = pattern.exec(key);
    if (!m) continue;
    const p = Number(m[1]), q = Number(m[2]);
    if (p + q > order) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`FITS WCS keyword ${key} must be a finite number`);
    out[p][q] = value;
  }
  return out;
}

function zeroArray(order: number): number[][] {
  return Array.from({ length: order + 1 }, () => new Array<number>(order + 1).fill(0));
}

/**
 * Reads a TAN or TAN-SIP WCS from header cards (for example an {@link Image}'s `header`, or the
 * cards of {@link listFitsHdus}). The linear part comes from CDi_j; without them from CDELTi
 * with PCi_j, or CDELTi with CROTA2 (AIPS convention). SIP terms are read when CTYPE1 ends in
 * '-SIP'. CRPIXn are 1-based in FITS, so `crpix` = CRPIXn − 1. IMAGEW/IMAGEH (astrometry.net)
 * or NAXIS1/NAXIS2 fill the image size. A LONPOLE other than 180° (or its FITS default 0° at a
 * tangent point exactly on the north pole) is folded into `cd`. EQUINOX/RADESYS are not interpreted.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` when CTYPE is not RA---TAN[-SIP]/DEC--TAN[-SIP], a
 *   needed keyword (CRVAL, CRPIX, the linear transform, A_ORDER/B_ORDER) is missing or not a
 *   number.
 *
 * @example
 * ```ts
 * const image = await loadImage('solved.fits');
 * const wcs = wcsFromFitsCards(image.header ?? []);
 * ```
 */
export function wcsFromFitsCards(cards: ReadonlyArray<CardLike>): Wcs {
  const values = new Map<string, CardLike['value']>();
  for (const c of cards) {
    const key = c.keyword.trim().toUpperCase();
    if (!values.has(key)) values.set(key, c.value);
  }
  const num = (key: string): number => {
    const v = values.get(key);
    if (v === undefined || v === null) invalid(`FITS WCS keyword ${key} is missing`);
    if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`FITS WCS keyword ${key} must be a finite number, got ${JSON.stringify(v)}`);
    return v;
  };
  const opt = (key: string, fallback: number): number => (values.has(key) && values.get(key) !== null ? num(key) : fallback);

  const ctype1 = values.get('CTYPE1'), ctype2 = values.get('CTYPE2');
  if (typeof ctype1 !== 'string' || typeof ctype2 !== 'string') invalid('FITS WCS keywords CTYPE1 and CTYPE2 are missing');
  const t1 = ctype1.trim().toUpperCase(), t2 = ctype2.trim().toUpperCase();
  const sip1 = t1 === 'RA---TAN-SIP', sip2 = t2 === 'DEC--TAN-SIP';
  if (!(sip1 || t1 === 'RA---TAN') || !(sip2 || t2 === 'DEC--TAN')) {
    invalid(`unsupported projection CTYPE1 = '${t1}', CTYPE2 = '${t2}' (RA---TAN[-SIP] and DEC--TAN[-SIP] are read)`);
  }

  const has = (key: string) => values.has(key) && values.get(key) !== null;
  let cd: Wcs['cd'];
  if (['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'].some(has)) {
    cd = [[opt('CD1_1', 0), opt('CD1_2', 0)], [opt('CD2_1', 0), opt('CD2_2', 0)]];
  } else {
    const cdelt1 = num('CDELT1'), cdelt2 = num('CDELT2');
    if (['PC1_1', 'PC1_2', 'PC2_1', 'PC2_2'].some(has)) {
      cd = [
        [cdelt1 * opt('PC1_1', 1), cdelt1 * opt('PC1_2', 0)],
        [cdelt2 * opt('PC2_1', 0), cdelt2 * opt('PC2_2', 1)],
      ];
    } else {
      const rho = degToRad(opt('CROTA2', opt('CROTA1', 0)));
      const c = Math.cos(rho), s = Math.sin(rho);
      cd = [[cdelt1 * c, -cdelt2 * s], [cdelt1 * s, cdelt2 * c]];
    }
  }
  const crval: [number, number] = [num('CRVAL1'), num('CRVAL2')];
  // LONPOLE (φp) is the native longitude of the celestial pole; asterism's TAN (./tan.ts) is the
  // FITS default 180°, except that FITS defaults to 0° when the tangent point is exactly the
  // north pole (Calabretta & Greisen 2002, §2.4). Another φp turns the intermediate axes by
  // 180° − φp, which folds into CD.
  const lonpole = opt('LONPOLE', crval[1] === 90 ? 0 : 180);
  if (lonpole !== 180) {
    const t = degToRad(180 - lonpole);
    const c = Math.cos(t), s = Math.sin(t);
    const [[a, b], [e, d]] = cd;
    cd = [[c * a - s * e, c * b - s * d], [s * a + c * e, s * b + c * d]];
  }
  const wcs: Wcs = { crval, crpix: [num('CRPIX1') - 1, num('CRPIX2') - 1], cd };
  if (sip1 || sip2) {
    const aOrder = num('A_ORDER'), bOrder = num('B_ORDER');
    for (const [k, o] of [['A_ORDER', aOrder], ['B_ORDER', bOrder]] as const) {
      if (!Number.isInteger(o) || o < 0 || o > MAX_FITS_SIP_ORDER) invalid(`FITS WCS keyword ${k} = ${o} must be an integer 0 … 9`);
    }
    const apOrder = opt('AP_ORDER', 0), bpOrder = opt('BP_ORDER', 0);
    for (const [k, o] of [['AP_ORDER', apOrder], ['BP_ORDER', bpOrder]] as const) {
      if (!Number.isInteger(o) || o < 0 || o > MAX_FITS_SIP_ORDER) invalid(`FITS WCS keyword ${k} = ${o} must be an integer 0 … 9`);
    }
    const order = Math.max(aOrder, bOrder), inverseOrder = Math.max(apOrder, bpOrder);
    wcs.sip = {
      order,
      a: padArray(readSipArray(values, 'A', aOrder), order),
      b: padArray(readSipArray(values, 'B', bOrder), order),
      apOrder: inverseOrder,
      ap: padArray(readSipArray(values, 'AP', apOrder), inverseOrder),
      bp: padArray(readSipArray(values, 'BP', bpOrder), inverseOrder),
    };
  }
  const width = has('IMAGEW') ? num('IMAGEW') : has('NAXIS1') ? num('NAXIS1') : undefined;
  const height = has('IMAGEH') ? num('IMAGEH') : has('NAXIS2') ? num('NAXIS2') : undefined;
  if (width !== undefined && width > 0) wcs.imageWidth = width;
  if (height !== undefined && height > 0) wcs.imageHeight = height;
  return wcs;
}

function padArray(c: number[][], order: number): number[][] {
  const out = zeroArray(order);
  for (let p = 0; p < c.length && p <= order; p++) {
    for (let q = 0; q < c[p].length && p + q <= order; q++) out[p][q] = c[p][q];
  }
  return out;
}

/**
 * A header-only FITS file holding the WCS, like solve-field's `.wcs`: SIMPLE = T, BITPIX = 8,
 * NAXIS = 0, the cards of {@link wcsToFitsCards}, END, padded to 2880-byte blocks. astropy
 * (`WCS(fits.open(path)[0].header)`), ds9 (load as a WCS file) and astrometry.net's tools read it.
 *
 * @example
 * ```ts
 * writeFileSync('field.wcs', writeWcsHeaderFile(result.wcs));
 * ```
 */
export function writeWcsHeaderFile(wcs: Wcs): Uint8Array {
  const cards: FitsHeaderCard[] = [
    ['SIMPLE', true, 'conforms to FITS standard'],
    ['BITPIX', 8, ''],
    ['NAXIS', 0, 'header-only file: world coordinate system'],
    ...wcsToFitsCards(wcs),
  ];
  return fitsHeaderBytes(cards.map(([k, v, c]) => formatFitsCard(k, v, c)));
}

// ---------------------------------------------------------------------------------------------
// Fitting

/** One star matched between the image and the catalogue, for {@link fitWcs}. */
export interface WcsFitPair {
  /** Image x, asterism pixel coordinates (first pixel's centre at 0). */
  x: number;
  /** Image y, asterism pixel coordinates. */
  y: number;
  /** Catalogue right ascension, degrees. */
  ra: number;
  /** Catalogue declination, degrees. */
  dec: number;
  /** Relative weight ≥ 0 (default 1), for example 1/σ² of the centroid. */
  weight?: number;
}

/** Options for {@link fitWcs}. */
export interface FitWcsOptions {
  /** Reference pixel, asterism pixel coordinates (usually the image centre); it stays fixed. */
  crpix: [number, number];
  /** 0 or 1: pure TAN (default 0); 2 … 5: TAN-SIP with distortion of that order (inverse of order + 1). */
  sipOrder?: number;
  /** Initial tangent point, degrees; default the weighted mean direction of the pairs. */
  tangent?: RaDec;
  /** Image width in pixels: stored in the WCS and spans the grid of the inverse fit (else the pairs' bounding box). */
  imageWidth?: number;
  /** Image height in pixels, as `imageWidth`. */
  imageHeight?: number;
}

/** Result of {@link fitWcs}. */
export interface FitWcsResult {
  /** The fitted WCS: `crval` is the sky position of `options.crpix`. */
  wcs: Wcs;
  /** Weighted RMS of `residuals`, pixels: √(Σ wᵢ rᵢ² / Σ wᵢ). */
  rmsPixels: number;
  /** Per pair, pixels: distance between the pair's (x, y) and its catalogue position mapped by `wcs`. */
  residuals: Float64Array;
  /**
   * Per pair, in [0, 1]: its leverage, the diagonal of the weighted fit's hat matrix, that is
   * how far the fit follows this pair (0 for a weight of 0; the leverages sum to the number of
   * terms per axis). Left out of the fit, a pair would have had the residual
   * residuals[i] / (1 − h) (exactly in the tangent plane, where the fit is linear; to first
   * order in pixels): a few pairs fitted by many terms, or a heavy pair far from the others,
   * pull the fit onto themselves and hide their own errors.
   */
  leverage: Float64Array;
}

/** Monomials u^p v^q with p + q ≤ order, in order of total degree. */
function monomials(order: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let d = 0; d <= order; d++) for (let p = d; p >= 0; p--) out.push([p, d - p]);
  return out;
}

/**
 * Weighted linear least squares by Householder QR: min ‖a·x − b‖ for an m × n design matrix
 * and k right-hand sides, row-major; both arrays are overwritten, `a` with R above its diagonal
 * and `diag` with R's diagonal (n entries). Null when a column is (numerically) dependent on
 * the others.
 */
function leastSquares(a: Float64Array, m: number, n: number, b: Float64Array, k: number, diag: Float64Array): Float64Array | null {
  const v = new Float64Array(m);
  let largest = 0;
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let i = 0; i < m; i++) norm = Math.hypot(norm, a[i * n + j]);
    largest = Math.max(largest, norm);
  }
  for (let j = 0; j < n; j++) {
    let alpha = 0;
    for (let i = j; i < m; i++) alpha = Math.hypot(alpha, a[i * n + j]);
    if (!(alpha > 1e-11 * largest)) return null;
    if (a[j * n + j] > 0) alpha = -alpha;
    let vnorm2 = 0;
    for (let i = j; i < m; i++) {
      v[i] = a[i * n + j] - (i === j ? alpha : 0);
      vnorm2 += v[i] * v[i];
    }
    diag[j] = alpha;
    if (vnorm2 === 0) continue;
    for (let c = j + 1; c < n; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += v[i] * a[i * n + c];
      s = (2 * s) / vnorm2;
      for (let i = j; i < m; i++) a[i * n + c] -= s * v[i];
    }
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += v[i] * b[i * k + c];
      s = (2 * s) / vnorm2;
      for (let i = j; i < m; i++) b[i * k + c] -= s * v[i];
    }
  }
  const x = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    for (let j = n - 1; j >= 0; j--) {
      let s = b[j * k + c];
      for (let l = j + 1; l < n; l++) s -= a[j * n + l] * x[l * k + c];
      x[j * k + c] = s / diag[j];
    }
  }
  return x;
}

/**
 * Leverage of each row of a least-squares design: the diagonal of the hat matrix
 * A (AᵀA)⁻¹ Aᵀ, computed as ‖R⁻ᵀ aᵢ‖² from the QR factor R (`upper` above its diagonal,
 * `diag` on it) and the design's rows as they were before the factorisation.
 */
function hatDiagonal(design: Float64Array, m: number, n: number, upper: Float64Array, diag: Float64Array): Float64Array {
  const h = new Float64Array(m);
  const z = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) {
      let s = design[i * n + j];
      for (let l = 0; l < j; l++) s -= upper[l * n + j] * z[l];
      z[j] = s / diag[j];
      sum += z[j] * z[j];
    }
    h[i] = sum;
  }
  return h;
}

/**
 * Fits Σ coef · (u/scale)^p (v/scale)^q to two targets per point with weights; returns the
 * coefficients per monomial in unscaled units, [target 0, target 1], and, when asked, each
 * point's leverage (see {@link FitWcsResult.leverage}).
 */
function fitPolynomial(
  u: Float64Array, v: Float64Array, t0: Float64Array, t1: Float64Array, w: Float64Array, order: number, withLeverage = false,
): { terms: Array<[number, number]>; c0: Float64Array; c1: Float64Array; leverage?: Float64Array } | null {
  const terms = monomials(order);
  const m = u.length, n = terms.length;
  let scale = 0;
  for (let i = 0; i < m; i++) if (w[i] > 0) scale = Math.max(scale, Math.abs(u[i]), Math.abs(v[i]));
  if (!(scale > 0)) return null;
  const a = new Float64Array(m * n), b = new Float64Array(m * 2);
  const up = new Float64Array(order + 1), vp = new Float64Array(order + 1);
  for (let i = 0; i < m; i++) {
    const sw = Math.sqrt(w[i]);
    powers(u[i] / scale, order, up);
    powers(v[i] / scale, order, vp);
    for (let j = 0; j < n; j++) a[i * n + j] = sw * up[terms[j][0]] * vp[terms[j][1]];
    b[i * 2] = sw * t0[i];
    b[i * 2 + 1] = sw * t1[i];
  }
  const design = withLeverage ? a.slice() : undefined;
  const diag = new Float64Array(n);
  const x = leastSquares(a, m, n, b, 2, diag);
  if (x === null) return null;
  const c0 = new Float64Array(n), c1 = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const f = scale ** (terms[j][0] + terms[j][1]);
    c0[j] = x[j * 2] / f;
    c1[j] = x[j * 2 + 1] / f;
  }
  return { terms, c0, c1, ...(design ? { leverage: hatDiagonal(design, m, n, a, diag) } : {}) };
}

function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${name} must be a finite number`);
  return value;
}

/**
 * Fits a TAN or TAN-SIP WCS to matched image/catalogue pairs by weighted linear least squares,
 * the method of astrometry.net's fit-wcs:
 *
 * 1. project the catalogue positions onto the plane tangent at the tangent point (ξ, η, degrees);
 * 2. with u = x − crpix[0], v = y − crpix[1], fit ξ = Σ c_pq u^p v^q and η = Σ d_pq u^p v^q over
 *    0 ≤ p + q ≤ max(1, sipOrder) (Householder QR on u, v scaled to [−1, 1]);
 * 3. the constant terms are the offset of pixel `crpix` from the tangent point: move the tangent
 *    point there and refit until they are below 1e−12° (3–5 rounds), so `crval` is the sky
 *    position of `crpix`;
 * 4. CD = the linear terms, A/B = CD⁻¹ · the higher terms, so (ξ, η) = CD · (u + A, v + B);
 * 5. the inverse AP/BP (order sipOrder + 1, every term 0 ≤ p + q ≤ order, as astrometry.net's
 *    sip_compute_inverse_polynomials) by least squares on a grid of max(20, 10 (order + 1))²
 *    points over the image (or the pairs' bounding box without an image size).
 *
 * @returns the WCS, the weighted RMS residual and per-pair residuals, pixels, and each pair's
 *   leverage (how far the fit follows it; see {@link FitWcsResult.leverage}).
 * @throws AsterismError `E_INVALID_ARGUMENT` for bad options or pairs, fewer positive-weight
 *   pairs than unknowns per axis ((order + 1)(order + 2)/2; the caller should lower the order),
 *   pairs that do not constrain the fit (all collinear), or pairs 90° or more from the tangent point.
 *
 * @example
 * ```ts
 * const { wcs, rmsPixels } = fitWcs(matches.map((m) => ({ x: m.x, y: m.y, ra: m.ra, dec: m.dec })), {
 *   crpix: [(width - 1) / 2, (height - 1) / 2], sipOrder: 2, imageWidth: width, imageHeight: height,
 * });
 * ```
 */
export function fitWcs(pairs: readonly WcsFitPair[], options: FitWcsOptions): FitWcsResult {
  if (!Array.isArray(pairs)) invalid('pairs must be an array');
  if (options === null || typeof options !== 'object') invalid('fitWcs needs options with crpix');
  const sipOrder = options.sipOrder ?? 0;
  if (!Number.isInteger(sipOrder) || sipOrder < 0 || sipOrder > MAX_FIT_SIP_ORDER) {
    invalid(`sipOrder must be an integer 0 … ${MAX_FIT_SIP_ORDER}, got ${sipOrder}`);
  }
  if (!Array.isArray(options.crpix) || options.crpix.length !== 2) invalid('crpix must be [x, y]');
  const crpix: [number, number] = [checkFinite('crpix[0]', options.crpix[0]), checkFinite('crpix[1]', options.crpix[1])];
  for (const key of ['imageWidth', 'imageHeight'] as const) {
    const s = options[key];
    if (s !== undefined && !(typeof s === 'number' && Number.isFinite(s) && s > 0)) invalid(`${key} must be a positive number`);
  }
  const order = Math.max(1, sipOrder);
  const unknowns = ((order + 1) * (order + 2)) / 2;

  const n = pairs.length;
  const u = new Float64Array(n), v = new Float64Array(n), w = new Float64Array(n);
  const stars: Vec3[] = [];
  let used = 0;
  const mean: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const p = pairs[i];
    checkFinite(`pairs[${i}].x`, p.x);
    checkFinite(`pairs[${i}].y`, p.y);
    checkFinite(`pairs[${i}].ra`, p.ra);
    checkFinite(`pairs[${i}].dec`, p.dec);
    const weight = p.weight ?? 1;
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight >= 0)) invalid(`pairs[${i}].weight must be a finite number ≥ 0`);
    u[i] = p.x - crpix[0];
    v[i] = p.y - crpix[1];
    w[i] = weight;
    const s = radecToVec(p.ra, p.dec);
    stars.push(s);
    if (weight > 0) {
      used++;
      for (let k = 0; k < 3; k++) mean[k] += weight * s[k];
    }
  }
  if (used < unknowns) {
    invalid(`fitting a WCS of order ${order} needs at least ${unknowns} pairs with positive weight, got ${used}`);
  }
  let tangent: RaDec;
  if (options.tangent !== undefined) {
    tangent = { ra: checkFinite('tangent.ra', options.tangent.ra), dec: checkFinite('tangent.dec', options.tangent.dec) };
  } else {
    if (!(Math.hypot(...mean) > 1e-12)) invalid('the pairs have no mean direction; pass options.tangent');
    tangent = vecToRadec(normalize(mean));
  }

  const xi = new Float64Array(n), eta = new Float64Array(n);
  let fit: NonNullable<ReturnType<typeof fitPolynomial>> | null = null;
  let leverage: Float64Array | undefined;
  for (let iter = 0; iter < MAX_TANGENT_ITERATIONS; iter++) {
    for (let i = 0; i < n; i++) {
      const t = tanProject(tangent, stars[i]);
      if (t === null) {
        if (w[i] > 0) invalid(`pairs[${i}] is 90° or more from the tangent point`);
        xi[i] = 0;
        eta[i] = 0;
      } else {
        xi[i] = t.x;
        eta[i] = t.y;
      }
    }
    // The leverages depend on the pixel positions and weights alone, not on the tangent point.
    fit = fitPolynomial(u, v, xi, eta, w, order, leverage === undefined);
    if (fit === null) invalid('the pairs do not constrain the fit (too few distinct positions, or all on a line)');
    leverage ??= fit.leverage;
    // The last move is made without a refit: the linear terms it would change move by ~offset²,
    // while dropping the constant would shift the whole solution by the offset.
    const c0 = fit.c0[0], d0 = fit.c1[0];
    tangent = vecToRadec(tanDeproject(tangent, c0, d0));
    if (Math.abs(c0) < TANGENT_TOLERANCE_DEG && Math.abs(d0) < TANGENT_TOLERANCE_DEG) break;
  }
  const { terms, c0, c1 } = fit!;
  const coef = (cs: Float64Array, p: number, q: number) => cs[terms.findIndex(([tp, tq]) => tp === p && tq === q)];
  const cd: Wcs['cd'] = [[coef(c0, 1, 0), coef(c0, 0, 1)], [coef(c1, 1, 0), coef(c1, 0, 1)]];
  const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) invalid('the fitted CD matrix is singular');
  const wcs: Wcs = { crval: [tangent.ra, tangent.dec], crpix, cd };

  if (sipOrder >= 2) {
    const a = zeroArray(sipOrder), b = zeroArray(sipOrder);
    terms.forEach(([p, q], j) => {
      if (p + q < 2) return;
      a[p][q] = (cd[1][1] * c0[j] - cd[0][1] * c1[j]) / det;
      b[p][q] = (-cd[1][0] * c0[j] + cd[0][0] * c1[j]) / det;
    });
    const apOrder = sipOrder + 1;
    const sip: SipDistortion = { order: sipOrder, a, b, apOrder, ap: zeroArray(apOrder), bp: zeroArray(apOrder) };
    fitInverse(sip, crpix, pairs, w, options.imageWidth, options.imageHeight);
    wcs.sip = sip;
  }
  if (options.imageWidth !== undefined) wcs.imageWidth = options.imageWidth;
  if (options.imageHeight !== undefined) wcs.imageHeight = options.imageHeight;

  const residuals = new Float64Array(n);
  let sum = 0, wsum = 0;
  for (let i = 0; i < n; i++) {
    const p = wcsSkyToPixel(wcs, pairs[i].ra, pairs[i].dec);
    residuals[i] = p === null ? Number.NaN : Math.hypot(p.x - pairs[i].x, p.y - pairs[i].y);
    if (w[i] > 0) {
      sum += w[i] * residuals[i] * residuals[i];
      wsum += w[i];
    }
  }
  return { wcs, rmsPixels: Math.sqrt(sum / wsum), residuals, leverage: leverage! };
}

/** Fills sip.ap/bp: least squares of u − U on (U, V) over a grid in the image (astrometry.net's method). */
function fitInverse(
  sip: SipDistortion, crpix: [number, number], pairs: readonly WcsFitPair[], w: Float64Array,
  width: number | undefined, height: number | undefined,
): void {
  let xlo: number, xhi: number, ylo: number, yhi: number;
  if (width !== undefined && height !== undefined) {
    xlo = -0.5; xhi = width - 0.5; ylo = -0.5; yhi = height - 0.5;
  } else {
    xlo = ylo = Infinity; xhi = yhi = -Infinity;
    pairs.forEach((p, i) => {
      if (!(w[i] > 0)) return;
      xlo = Math.min(xlo, p.x); xhi = Math.max(xhi, p.x);
      ylo = Math.min(ylo, p.y); yhi = Math.max(yhi, p.y);
    });
    if (width !== undefined) { xlo = -0.5; xhi = width - 0.5; }
    if (height !== undefined) { ylo = -0.5; yhi = height - 0.5; }
  }
  const steps = Math.max(20, 10 * (sip.apOrder + 1));
  const m = steps * steps;
  const U = new Float64Array(m), V = new Float64Array(m), du = new Float64Array(m), dv = new Float64Array(m);
  const ones = new Float64Array(m).fill(1);
  let k = 0;
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      const u = xlo + ((xhi - xlo) * i) / (steps - 1) - crpix[0];
      const v = ylo + ((yhi - ylo) * j) / (steps - 1) - crpix[1];
      const [uu, vv] = distort(sip, u, v);
      U[k] = uu; V[k] = vv; du[k] = u - uu; dv[k] = v - vv;
      k++;
    }
  }
  const fit = fitPolynomial(U, V, du, dv, ones, sip.apOrder);
  // The grid spans a rectangle of positive area (the forward fit already needed non-collinear
  // pairs), so this only fails for a degenerate bounding box; Newton iteration then inverts alone.
  if (fit === null) {
    sip.apOrder = 0;
    sip.ap = [[0]];
    sip.bp = [[0]];
    return;
  }
  fit.terms.forEach(([p, q], j) => {
    sip.ap[p][q] = fit.c0[j];
    sip.bp[p][q] = fit.c1[j];
  });
}

// ---------------------------------------------------------------------------------------------
// Summaries (astrometry.net's definitions)

/**
 * Pixel scale at the reference pixel, arcseconds per pixel: 3600 √|det CD| (astrometry.net's
 * sip_pixel_scale; SIP distortion is not included).
 */
export function wcsPixelScaleArcsec(wcs: Wcs): number {
  return tanWcsPixelScaleArcsec(wcs);
}

/**
 * Field rotation as solve-field prints it, "up is X degrees E of N": the position angle,
 * measured from north through east, of the direction of increasing y ("up" as FITS viewers
 * such as ds9 draw the image, row 0 at the bottom), at the reference pixel. Degrees in
 * (−180, 180]. Computed as astrometry.net's tan_get_orientation (util/sip-utils.c):
 * with s = sign(det CD) (+1 when det ≥ 0), −atan2(s·CD2_1 − CD1_2, s·CD1_1 + CD2_2). For a
 * CD that is a scaled rotation (possibly mirrored) this is exactly the position angle of +y;
 * for a skewed CD it averages the two axes.
 *
 * @example
 * ```ts
 * // north up, east left: 0; image rotated so +y points 30° east of north: 30
 * wcsRotationDeg({ crval: [0, 0], crpix: [0, 0], cd: [[-1e-4, 0], [0, 1e-4]] }); // 0
 * ```
 */
export function wcsRotationDeg(wcs: Wcs): number {
  const [[c11, c12], [c21, c22]] = wcs.cd;
  const s = c11 * c22 - c12 * c21 >= 0 ? 1 : -1;
  const r = -radToDeg(Math.atan2(s * c21 - c12, s * c11 + c22));
  return r <= -180 ? r + 360 : r === 0 ? 0 : r;
}

/**
 * Handedness of the pixel grid on the sky. `'normal'` when det(CD) < 0: with +y up (as FITS
 * viewers show it), east is left of north as on the sky seen from inside the sphere, the
 * usual view from a telescope without a mirror; astrometry.net's parity −1 (wcsinfo prints
 * `parity -1`; nova's TanWCS.get_parity returns −1.0 when det(CD) < 0). `'flipped'` when
 * det(CD) ≥ 0 (parity +1): the image is mirrored, for example by a diagonal, or stored with
 * rows top-down (a JPEG or PNG of a north-up east-left view, whose row 0 is the top, has +y
 * pointing south, so it comes out `'flipped'`).
 */
export function wcsParity(wcs: Wcs): 'normal' | 'flipped' {
  const [[c11, c12], [c21, c22]] = wcs.cd;
  return c11 * c22 - c12 * c21 < 0 ? 'normal' : 'flipped';
}

function checkSize(width: number, height: number): void {
  if (!(Number.isFinite(width) && width > 0 && Number.isFinite(height) && height > 0)) {
    invalid(`image size must be positive, got ${width} × ${height}`);
  }
}

/**
 * Sky position of the image centre, degrees: the pixel ((width − 1)/2, (height − 1)/2), the
 * middle of the pixel grid (astrometry.net's sip_get_radec_center, 1-based 0.5 + size/2).
 */
export function wcsCenter(wcs: Wcs, width: number, height: number): RaDec {
  checkSize(width, height);
  return wcsPixelToSky(wcs, (width - 1) / 2, (height - 1) / 2);
}

/**
 * Angular size of the image, degrees, measured as astrometry.net's sip_get_field_size: along
 * the middle row from the left edge to the centre to the right edge (pixel edges at −0.5 and
 * width − 0.5), and likewise along the middle column. Includes SIP distortion.
 */
export function wcsFieldSize(wcs: Wcs, width: number, height: number): { widthDeg: number; heightDeg: number } {
  checkSize(width, height);
  const mx = (width - 1) / 2, my = (height - 1) / 2;
  const sep = separationDeg;
  const c = wcsPixelToSky(wcs, mx, my);
  const widthDeg = sep(wcsPixelToSky(wcs, -0.5, my), c) + sep(c, wcsPixelToSky(wcs, width - 0.5, my));
  const heightDeg = sep(wcsPixelToSky(wcs, mx, -0.5), c) + sep(c, wcsPixelToSky(wcs, mx, height - 0.5));
  return { widthDeg, heightDeg };
}
