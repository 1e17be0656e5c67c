/**
 * Synthetic sky frames drawn from an index's own catalogue, with known truth: the accuracy
 * fixture of the solver (the benchmark of Lang et al. 2010, section 3: real catalogue stars at a
 * random pointing, some of them missing, some spurious sources added, a little lens distortion).
 *
 * Geometry of a frame (all of it in {@link SkyFrameTruth}):
 * - a TAN WCS with its tangent point at the image centre ((width − 1) / 2, (height − 1) / 2),
 *   pixel scale `widthDeg / max(width, height)` degrees per pixel at the centre;
 * - `rotationDeg`: the position angle of the image's +y axis, degrees east of north ("up" with
 *   the first row drawn at the bottom: the angle `solve()` reports as `rotation`);
 * - `parity`: 'normal' gives det CD < 0, 'flipped' det CD > 0 (the convention of `solve()`);
 * - radial distortion about the centre: a star whose undistorted pixel offset from the centre
 *   is d lands at centre + d (1 + k1 |d|²). The truth WCS is the undistorted part, so the centre
 *   pixel maps exactly to `truth.center`.
 *
 * Stars are the union of the catalogue stars of every sub-index of the set inside the frame
 * (duplicates within 1 arcsec merged), with flux from magnitude; a fraction is left out and
 * random spurious sources are added. {@link renderSkyFrame} draws them into pixels (Gaussian PSF
 * integrated over pixels, sky, noise: ./starfield.ts); {@link renderSkyStars} returns only the
 * star list, for fast solver tests.
 *
 * @example
 * ```ts
 * const frame = await renderSkyFrame({ seed: 7, widthDeg: 5 });
 * const result = await solve(frame.image, { scale: { low: 4, high: 6, units: 'degwidth' } });
 * console.log(separationDeg(result.center!, frame.truth.center) * 3600, 'arcsec off');
 * ```
 */
import type { Image } from '../../lib/image/image.js';
import { tanProject, type TanWcs } from '../../lib/sky/tan.js';
import { angleToChordSq, degToRad, radecToVec, radToDeg, vecToRadec, type RaDec } from '../../lib/sky/vector.js';
import { loadDefaultIndex } from '../../lib/skyindex/default-index.js';
import { loadIndex, type IndexSet } from '../../lib/skyindex/index-set.js';
import { rangeSearch } from '../../lib/skyindex/kdtree.js';
import { starVector } from '../../lib/skyindex/subindex.js';
import { createRng, type Rng } from './random.js';
import { addStar, renderStarfield } from './starfield.js';

/** Field widths, degrees, that a frame gets when `widthDeg` is not given: log-uniform in this range (what the default index serves well). */
export const DEFAULT_WIDTH_RANGE_DEG: readonly [number, number] = [1.4, 30];

/** Catalogue stars closer than this, arcseconds, are one star seen in two sub-indices. */
const DUPLICATE_ARCSEC = 1;

/** Options of {@link renderSkyFrame} and {@link renderSkyStars}. Every field is optional; unset ones are drawn from `seed`. */
export interface SkyFrameOptions {
  /** Where the stars come from: a loaded set, or index files/directories (default: the shipped default index). */
  index?: IndexSet | string | string[];
  /** Sky position of the image centre, degrees (default: uniform over the sphere). */
  center?: RaDec;
  /** Position angle of the image's +y axis, degrees east of north, as `solve()` reports it (default: uniform in [0, 360)). */
  rotationDeg?: number;
  /** Angular width of the wider image side at the centre, degrees (default: log-uniform over {@link DEFAULT_WIDTH_RANGE_DEG}). */
  widthDeg?: number;
  /** Image size, pixels (default 1024 × 768). */
  width?: number;
  height?: number;
  /** 'normal' (det CD < 0) or 'flipped' (det CD > 0); default: either, at random. */
  parity?: 'normal' | 'flipped';
  /** PSF sigma, pixels (default 1.5). */
  psfSigma?: number;
  /** Per-pixel noise sigma, image units (default 10, on a sky of 1000). */
  noise?: number;
  /** Signal-to-noise ratio of the faintest catalogue star in the frame (default 10); brighter stars scale with 10^(−0.4 Δmag). */
  faintestSnr?: number;
  /** Fraction of the catalogue stars in the frame that are not drawn (default 0.2). */
  missingFraction?: number;
  /** Spurious sources to add, as a fraction of the drawn catalogue stars (default 0.2); their fluxes are resampled from those stars'. */
  spuriousFraction?: number;
  /**
   * Radial distortion k1, per pixel squared: offset d from the centre becomes d (1 + k1 |d|²).
   * Default: a random sign and a size that moves the corners by 1–2 px.
   */
  radialDistortion?: number;
  /**
   * Only {@link renderSkyStars}: add the centroid error a detector would make, √2 σ_psf / SNR
   * pixels per axis (default true). With false the positions equal {@link renderSkyFrame}'s.
   */
  centroidNoise?: boolean;
  /** Seed of every random choice (default 1). */
  seed?: number;
}

/** A source in a synthetic frame. Catalogue stars carry their catalogue entry; spurious sources do not. */
export interface SkyFrameStar {
  /** Pixel position (centre of the first pixel = 0, 0; x right, y down), after distortion. */
  x: number;
  y: number;
  /** Total flux, image units. */
  flux: number;
  /** Catalogue position, degrees, and magnitude; absent for a spurious source. */
  ra?: number;
  dec?: number;
  mag?: number;
}

/** What a frame really is. */
export interface SkyFrameTruth {
  /** The undistorted part of the mapping: tangent point at the image centre. */
  wcs: TanWcs;
  /** Sky position of the image centre, degrees (= wcs.crval). */
  center: RaDec;
  /** Angular width of the wider side, degrees (scale × max(width, height)). */
  widthDeg: number;
  /** Arcseconds per pixel at the centre. */
  pixelScaleArcsec: number;
  /** Position angle of the image's +y axis, degrees east of north (`solve()`'s `rotation`). */
  rotationDeg: number;
  parity: 'normal' | 'flipped';
  /** k1 of the radial distortion, per pixel squared (see the module comment). */
  distortionK1: number;
}

/** A star list with its truth, from {@link renderSkyStars}. Passes to `solve()` as a `StarListInput`. */
export interface SkyStars {
  /** Drawn catalogue stars and spurious sources, brightest first. */
  stars: SkyFrameStar[];
  width: number;
  height: number;
  truth: SkyFrameTruth;
  /** Catalogue stars inside the frame before some were left out. */
  catalogStars: number;
  /** Of `stars`, how many are spurious. */
  spuriousStars: number;
}

/** A rendered frame, from {@link renderSkyFrame}. */
export interface SkyFrame extends SkyStars {
  /** One float plane: format 'raw', 1 channel, 32 bits, `pixels` is `luminance`. */
  image: Image;
}

/** A star list without a sky behind it, from {@link randomStarField}. */
export interface RandomStarField {
  stars: Array<{ x: number; y: number; flux: number }>;
  width: number;
  height: number;
}

const loadedSets = new Map<string, Promise<IndexSet>>();

/** The index set an option names, loading each distinct path list once per process. */
async function indexSetOf(index: SkyFrameOptions['index']): Promise<IndexSet> {
  if (index === undefined) return loadDefaultIndex();
  if (typeof index === 'string' || Array.isArray(index)) {
    const key = JSON.stringify(index);
    let set = loadedSets.get(key);
    if (!set) loadedSets.set(key, (set = loadIndex(index)));
    return set;
  }
  return index;
}

/** Parameters of one frame, every random one drawn in a fixed order so options change only what they set. */
interface FrameGeometry {
  width: number;
  height: number;
  truth: SkyFrameTruth;
  /** cd⁻¹, to go from intermediate degrees to pixel offsets. */
  cdInverse: [[number, number], [number, number]];
}

function frameGeometry(options: SkyFrameOptions, rng: Rng): FrameGeometry {
  const width = options.width ?? 1024, height = options.height ?? 768;
  const drawn = {
    ra: rng.uniform(0, 360),
    dec: radToDeg(Math.asin(rng.uniform(-1, 1))),
    rotation: rng.uniform(0, 360),
    widthDeg: Math.exp(rng.uniform(Math.log(DEFAULT_WIDTH_RANGE_DEG[0]), Math.log(DEFAULT_WIDTH_RANGE_DEG[1]))),
    parity: rng.next() < 0.5 ? 'normal' as const : 'flipped' as const,
    cornerShift: rng.uniform(1, 2) * (rng.next() < 0.5 ? -1 : 1),
  };
  const center = options.center ?? { ra: drawn.ra, dec: drawn.dec };
  const rotationDeg = options.rotationDeg ?? drawn.rotation;
  const widthDeg = options.widthDeg ?? drawn.widthDeg;
  const parity = options.parity ?? drawn.parity;
  const cornerRadius = Math.hypot((width - 1) / 2, (height - 1) / 2);
  const distortionK1 = options.radialDistortion ?? drawn.cornerShift / cornerRadius ** 3;
  const s = widthDeg / Math.max(width, height);
  const t = degToRad(rotationDeg);
  const sin = Math.sin(t), cos = Math.cos(t);
  // Column 2 of CD is where +y points: position angle t, (east, north) = (sin t, cos t).
  // Column 1 (+x) is perpendicular to it, on the side that gives the requested sign of det CD
  // (det = side · s²).
  const side = parity === 'normal' ? -1 : 1;
  const cd: [[number, number], [number, number]] = [[side * s * cos, s * sin], [-side * s * sin, s * cos]];
  const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  const cdInverse: [[number, number], [number, number]] = [[cd[1][1] / det, -cd[0][1] / det], [-cd[1][0] / det, cd[0][0] / det]];
  const wcs: TanWcs = { crval: [center.ra, center.dec], crpix: [(width - 1) / 2, (height - 1) / 2], cd };
  return {
    width,
    height,
    cdInverse,
    truth: { wcs, center: { ...center }, widthDeg, pixelScaleArcsec: s * 3600, rotationDeg, parity, distortionK1 },
  };
}

/** Distorted pixel position of the undistorted offset (dx, dy) from the centre. */
function distort(g: FrameGeometry, dx: number, dy: number): { x: number; y: number } {
  const f = 1 + g.truth.distortionK1 * (dx * dx + dy * dy);
  return { x: g.truth.wcs.crpix[0] + dx * f, y: g.truth.wcs.crpix[1] + dy * f };
}

interface CatalogStar {
  x: number;
  y: number;
  ra: number;
  dec: number;
  mag: number;
}

/** Every catalogue star of the set inside the frame (after distortion), duplicates merged, in a fixed order. */
function catalogStarsIn(set: IndexSet, g: FrameGeometry): CatalogStar[] {
  const { center, distortionK1 } = g.truth;
  const scaleDeg = g.truth.pixelScaleArcsec / 3600;
  const cornerPx = Math.hypot((g.width - 1) / 2, (g.height - 1) / 2);
  const reachPx = cornerPx * (1 + Math.abs(distortionK1) * cornerPx * cornerPx) + 2;
  const reachRad = Math.atan(degToRad(reachPx * scaleDeg)) * 1.01;
  const chord = Math.sqrt(angleToChordSq(Math.min(reachRad, Math.PI / 2)));
  const query = Float64Array.from(radecToVec(center.ra, center.dec));
  const cell = DUPLICATE_ARCSEC / 3600;
  const seen = new Map<string, Array<{ u: number; v: number }>>();
  const [[ia, ib], [ic, id]] = g.cdInverse;
  const out: CatalogStar[] = [];
  for (const { index } of set.subIndices) {
    for (const t of rangeSearch(index.stars, query, chord)) {
      const vec = starVector(index, t);
      const p = tanProject(center, vec);
      if (p === null) continue;
      const gu = Math.floor(p.x / cell), gv = Math.floor(p.y / cell);
      let duplicate = false;
      for (let du = -1; du <= 1 && !duplicate; du++) {
        for (let dv = -1; dv <= 1 && !duplicate; dv++) {
          for (const q of seen.get(`${gu + du},${gv + dv}`) ?? []) {
            if ((q.u - p.x) ** 2 + (q.v - p.y) ** 2 <= cell * cell) { duplicate = true; break; }
          }
        }
      }
      if (duplicate) continue;
      const key = `${gu},${gv}`;
      const bucket = seen.get(key);
      if (bucket) bucket.push({ u: p.x, v: p.y });
      else seen.set(key, [{ u: p.x, v: p.y }]);
      const at = distort(g, ia * p.x + ib * p.y, ic * p.x + id * p.y);
      if (!(at.x >= 0 && at.x <= g.width - 1 && at.y >= 0 && at.y <= g.height - 1)) continue;
      const { ra, dec } = vecToRadec(vec);
      out.push({ x: at.x, y: at.y, ra, dec, mag: index.mags[t] });
    }
  }
  return out;
}

/** Flux per unit SNR for the PSF: optimal SNR = flux / (noise √(4π σ²)), as in ./starfield.ts. */
function fluxPerSnr(noise: number, psfSigma: number): number {
  return noise * Math.sqrt(4 * Math.PI) * psfSigma;
}

/** The shared part of both renderers: geometry, catalogue stars, missing and spurious sources. */
async function frameStars(options: SkyFrameOptions): Promise<SkyStars & { geometry: FrameGeometry }> {
  const seed = options.seed ?? 1;
  const rng = createRng(seed);
  const geometry = frameGeometry(options, rng);
  const set = await indexSetOf(options.index);
  const catalog = catalogStarsIn(set, geometry);
  const noise = options.noise ?? 10;
  const psfSigma = options.psfSigma ?? 1.5;
  const faintestSnr = options.faintestSnr ?? 10;
  let faintest = -Infinity;
  for (const s of catalog) if (s.mag > faintest) faintest = s.mag;
  const fluxOf = (mag: number) => faintestSnr * fluxPerSnr(noise, psfSigma) * 10 ** (-0.4 * ((Number.isFinite(mag) ? mag : faintest) - faintest));

  // Leave out exactly round(f n) catalogue stars: a partial Fisher–Yates shuffle picks them.
  const order = catalog.map((_, i) => i);
  const missing = Math.round((options.missingFraction ?? 0.2) * catalog.length);
  for (let i = 0; i < missing; i++) {
    const j = i + Math.floor(rng.next() * (order.length - i));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const stars: SkyFrameStar[] = order.slice(missing).map((i) => {
    const s = catalog[i];
    return { x: s.x, y: s.y, flux: fluxOf(s.mag), ra: s.ra, dec: s.dec, mag: s.mag };
  });
  const drawnCount = stars.length;
  const spurious = drawnCount === 0 ? 0 : Math.round((options.spuriousFraction ?? 0.2) * drawnCount);
  for (let i = 0; i < spurious; i++) {
    const x = rng.uniform(0, geometry.width - 1), y = rng.uniform(0, geometry.height - 1);
    stars.push({ x, y, flux: stars[Math.floor(rng.next() * drawnCount)].flux });
  }
  stars.sort((a, b) => b.flux - a.flux || a.x - b.x);
  return {
    stars,
    width: geometry.width,
    height: geometry.height,
    truth: geometry.truth,
    catalogStars: catalog.length,
    spuriousStars: spurious,
    geometry,
  };
}

/**
 * A synthetic image of a real piece of sky: the catalogue stars of the index set inside a
 * random (or given) field, drawn with a Gaussian PSF on a sky with gradient, vignetting and
 * Gaussian noise (./starfield.ts), some left out, spurious ones added, slightly distorted.
 *
 * @param options - geometry, rendering and nuisance settings; unset ones come from `seed`.
 * @returns the image, the sources drawn (truth positions, brightest first), the truth geometry
 *   and how many catalogue stars fell in the frame.
 *
 * @example
 * ```ts
 * const frame = await renderSkyFrame({ seed: 3, widthDeg: 8, center: { ra: 83.8, dec: -5.4 } });
 * const { stars } = await detect(frame.image);
 * ```
 */
export async function renderSkyFrame(options: SkyFrameOptions = {}): Promise<SkyFrame> {
  const { geometry, ...list } = await frameStars(options);
  const psfSigma = options.psfSigma ?? 1.5;
  const background = renderStarfield({
    width: geometry.width,
    height: geometry.height,
    seed: ((options.seed ?? 1) ^ 0x5eed) >>> 0,
    stars: 0,
    psfSigma,
    noise: options.noise ?? 10,
  });
  const pixels = background.pixels;
  for (const s of list.stars) addStar(pixels, geometry.width, geometry.height, s.x, s.y, s.flux, psfSigma);
  const image: Image = { width: geometry.width, height: geometry.height, luminance: pixels, pixels, channels: 1, bitDepth: 32, format: 'raw' };
  return { ...list, image };
}

/**
 * The star list of {@link renderSkyFrame} with the same options, without drawing pixels: what
 * a detector would report, for fast solver tests. By default each position carries a centroid
 * error of √2 σ_psf / SNR pixels per axis (`centroidNoise: false` gives the exact positions).
 *
 * @example
 * ```ts
 * const field = await renderSkyStars({ seed: 11 });
 * const result = await solve(field);   // a StarListInput: { stars, width, height }
 * ```
 */
export async function renderSkyStars(options: SkyFrameOptions = {}): Promise<SkyStars> {
  const { geometry, ...list } = await frameStars(options);
  if (options.centroidNoise ?? true) {
    const rng = createRng(((options.seed ?? 1) ^ 0xc3a7) >>> 0);
    const unit = fluxPerSnr(options.noise ?? 10, options.psfSigma ?? 1.5);
    const sigmaAtSnr1 = Math.SQRT2 * (options.psfSigma ?? 1.5);
    for (const s of list.stars) {
      const sigma = sigmaAtSnr1 / (s.flux / unit);
      s.x = Math.min(geometry.width - 1, Math.max(0, s.x + sigma * rng.normal()));
      s.y = Math.min(geometry.height - 1, Math.max(0, s.y + sigma * rng.normal()));
    }
  }
  return list;
}

/**
 * `n` stars at uniformly random positions with power-law fluxes (dN/dF ∝ F⁻², over a factor of
 * 1000): a star list that matches no sky, for false-positive tests.
 *
 * @example
 * ```ts
 * const result = await solve(randomStarField(100, 1024, 768, 42));   // must not solve
 * ```
 */
export function randomStarField(n: number, width: number, height: number, seed: number): RandomStarField {
  const rng = createRng(seed);
  const stars = [];
  for (let i = 0; i < n; i++) {
    const x = rng.uniform(0, width - 1), y = rng.uniform(0, height - 1);
    const flux = 1 / (1 - rng.next() * (1 - 1e-3));
    stars.push({ x, y, flux: 100 * flux });
  }
  stars.sort((a, b) => b.flux - a.flux);
  return { stars, width, height };
}

/** Kinds of {@link nonSkyImage}. */
export type NonSkyKind = 'gradient' | 'noise' | 'checkerboard';

/**
 * An image with no stars in it: a smooth gradient, pure Gaussian noise, or a checkerboard of
 * 32-pixel squares (with a little noise), for false-positive tests.
 */
export function nonSkyImage(kind: NonSkyKind, width: number, height: number, seed: number): Image {
  const rng = createRng(seed);
  const pixels = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v: number;
      if (kind === 'gradient') v = 1000 + (500 * x) / width + (300 * y) / height;
      else if (kind === 'noise') v = 1000 + 10 * rng.normal();
      else v = 1000 + ((Math.floor(x / 32) + Math.floor(y / 32)) % 2) * 500 + 2 * rng.normal();
      pixels[y * width + x] = v;
    }
  }
  return { width, height, luminance: pixels, pixels, channels: 1, bitDepth: 32, format: 'raw' };
}
