/**
 * `solve()`: blind astrometric calibration (Lang et al. 2010). The data flow is
 * field stars → image quads (./image-quads.ts) → codes → kd-tree hits in each sub-index →
 * hypotheses (./hypothesis.ts) → Bayesian verification (./verify.ts) → weighted TAN-SIP refit
 * (lib/sky/wcs.ts) → verification over the whole image → result.
 *
 * The sub-indices that fit the image's possible scales are searched in lock-step: each star that
 * joins the quad pool gives a batch of quads, and that batch is looked up in every sub-index
 * before the next star joins, so no scale is starved. The search stops at the first match whose
 * refit passes verification, at the time limit, or when the caller aborts.
 */
import { AsterismError } from '../errors.js';
import { detect } from '../detect/detect.js';
import type { Image } from '../image/image.js';
import { angleToChordSq, degToRad, radecToVec, separationDeg, vecToRadec, type RaDec, type Vec3 } from '../sky/vector.js';
import {
  fitWcs, wcsCenter, wcsFieldSize, wcsParity, wcsPixelScaleArcsec, wcsPixelToSky, wcsRotationDeg, wcsSkyToPixel, wcsToFitsCards,
  type FitWcsOptions, type FitWcsResult, type Wcs, type WcsFitPair,
} from '../sky/wcs.js';
import { loadDefaultIndex } from '../skyindex/default-index.js';
import { loadIndex, type IndexSet, type IndexSetEntry } from '../skyindex/index-set.js';
import { rangeSearch, rangeSearchBatch } from '../skyindex/kdtree.js';
import { starVector } from '../skyindex/subindex.js';
import { quadHypothesis, type Parity } from './hypothesis.js';
import { quadsWithNewStar } from './image-quads.js';
import { quadCode, type QuadSize } from './quad-code.js';
import type { SolveInput, SolveOptions, SolveProgress, SolveResult, SolveTimings, SolvedWcs, StarListInput } from './types.js';
import { verifyHypothesis } from './verify.js';

export type * from './types.js';

/** The paper's acceptance threshold: odds of a billion to one that the match is real. */
export const DEFAULT_LOG_ODDS_TO_SOLVE = Math.log(1e9);
/** astrometry.net's default code tolerance (code-space distance). */
export const DEFAULT_CODE_TOLERANCE = 0.01;
export const DEFAULT_TIME_LIMIT_MS = 60_000;
export const DEFAULT_MAX_STARS = 100;
export const DEFAULT_SIP_ORDER = 2;
/** Fields at least this wide (degrees) get a cubic SIP by default: lens distortion is radial, r³, which order 2 cannot follow. */
const WIDE_FIELD_DEG = 8;

/**
 * The highest SIP order tried when the caller gives none: {@link DEFAULT_SIP_ORDER}, 3 for wide
 * fields. A lower one is kept when it predicts the matched stars as well (see {@link HIGHER_ORDER_GAIN}).
 */
function defaultSipOrder(fieldDeg: number): number {
  return fieldDeg >= WIDE_FIELD_DEG ? 3 : DEFAULT_SIP_ORDER;
}
/**
 * Without an explicit `sipOrder`, each order above TAN must lower the mean square held-out
 * (leave-one-out) residual of the matched stars below this factor times the best lower order's
 * to be kept. Terms the stars do not need follow their noise, or a wrong pair, and bend the
 * corners: on 240 undistorted 1–4° frames (10–90 matches) a fixed order 2 was 0.11 px off at
 * the worst point of the median frame and 0.94 px at most where TAN was 0.05 and 0.32 px, and
 * one frame with a wrong pair at its edge was 5.2 px off. The 10 % margin keeps a noisy
 * held-out estimate from buying terms by chance; against no margin it changed little.
 */
const HIGHER_ORDER_GAIN = 0.9;
/**
 * Smallest A–B distance of an image quad as a fraction of the image's smaller side: shorter
 * quads have too few pixels between their stars for a code precise to 0.01 (solve-field's
 * default --quad-size-min is the same 0.1).
 */
const QUAD_MIN_FRACTION = 0.1;
/** Positional error of a hypothesis at the quad (pixels); it grows with distance from the quad. */
const HYPOTHESIS_SIGMA_PX = 1;
/** Positional error after the refit (pixels): centroids and catalogue positions. */
const REFINED_SIGMA_PX = 0.7;
/** A matched pair whose residual after the fit exceeds this many times the median residual (and OUTLIER_MIN_PX) is left out of the refit. */
const OUTLIER_MEDIANS = 5;
const OUTLIER_MIN_PX = 1;
/** Field stars used for verification, at most. */
const VERIFY_FIELD_STARS = 300;
/**
 * Log-odds above which a hypothesis that fails against its own sub-index's stars is checked
 * again against every searched sub-index's: odds of 1000 to 1 are rare for a false match
 * (most score far below zero) and common for a true one short of stars.
 */
const SECOND_LOOK_LOG_ODDS = Math.log(1e3);
/** Yield to the event loop this often (ms) so timers, AbortSignals and progress run. */
const YIELD_EVERY_MS = 20;
const PROGRESS_EVERY_MS = 100;

interface FieldStars {
  xy: Float64Array;
  flux: Float64Array;
  width: number;
  height: number;
}

function isStarList(input: unknown): input is StarListInput {
  return typeof input === 'object' && input !== null && Array.isArray((input as StarListInput).stars) &&
    !((input as Image).luminance instanceof Float32Array);
}

function invalid(message: string): AsterismError {
  return new AsterismError('E_INVALID_ARGUMENT', message);
}

function starListField(input: StarListInput): FieldStars {
  const { width, height } = input;
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0)) throw invalid('width and height must be positive numbers');
  const stars = input.stars.filter((s) => Number.isFinite(s?.x) && Number.isFinite(s?.y) && Number.isFinite(s?.flux));
  stars.sort((a, b) => b.flux - a.flux);
  const xy = new Float64Array(2 * stars.length), flux = new Float64Array(stars.length);
  stars.forEach((s, i) => {
    xy[2 * i] = s.x;
    xy[2 * i + 1] = s.y;
    flux[i] = s.flux;
  });
  return { xy, flux, width, height };
}

/** Pixel-scale bounds (arcsec/px) from the hint, or [0, ∞). */
function scaleBounds(options: SolveOptions, width: number, height: number): [number, number] {
  const hint = options.scale;
  if (!hint) return [0, Infinity];
  const { low, high, units } = hint;
  const side = Math.max(width, height);
  switch (units) {
    case 'arcsecperpix': return [low, high];
    case 'degwidth': return [(low * 3600) / side, (high * 3600) / side];
    case 'arcminwidth': return [(low * 60) / side, (high * 60) / side];
    default: throw invalid(`unknown scale units ${String(units)}`);
  }
}

function checkOptions(o: SolveOptions): void {
  const positive = (v: unknown, name: string) => {
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw invalid(`${name} must be a positive number, got ${String(v)}`);
  };
  if (o.scale !== undefined) {
    const { low, high, units } = o.scale ?? {};
    if (!(Number.isFinite(low) && Number.isFinite(high) && low > 0 && high >= low)) throw invalid(`scale hint must satisfy 0 < low ≤ high, got ${low}–${high}`);
    if (!['degwidth', 'arcminwidth', 'arcsecperpix'].includes(units)) throw invalid(`scale units must be degwidth, arcminwidth or arcsecperpix, got ${String(units)}`);
  }
  positive(o.timeLimit, 'timeLimit');
  positive(o.codeTolerance, 'codeTolerance');
  positive(o.logOddsToSolve, 'logOddsToSolve');
  if (o.maxStars !== undefined && !(Number.isInteger(o.maxStars) && o.maxStars >= 4)) throw invalid(`maxStars must be an integer ≥ 4, got ${o.maxStars}`);
  if (o.sipOrder !== undefined && !(Number.isInteger(o.sipOrder) && o.sipOrder >= 0 && o.sipOrder <= 5)) throw invalid(`sipOrder must be an integer 0–5, got ${o.sipOrder}`);
  if (o.parity !== undefined && !['normal', 'flipped', 'both'].includes(o.parity)) throw invalid(`parity must be normal, flipped or both, got ${String(o.parity)}`);
  if (o.position) {
    const { ra, dec, radius } = o.position;
    if (!(Number.isFinite(ra) && Number.isFinite(dec) && dec >= -90 && dec <= 90 && Number.isFinite(radius) && radius > 0)) {
      throw invalid('position hint must have finite ra, dec in [−90, 90] and radius > 0 (degrees)');
    }
  }
}

async function indexSetOf(index: SolveOptions['index'], signal?: AbortSignal): Promise<IndexSet> {
  if (index === undefined) return loadDefaultIndex();
  if (typeof index === 'string' || Array.isArray(index)) return loadIndex(index, { signal });
  if (typeof index === 'object' && index !== null && Array.isArray((index as IndexSet).subIndices)) return index as IndexSet;
  throw invalid('index must be a path, a list of paths or a loaded IndexSet');
}

/** A sub-index in the search, with the image-quad sizes (pixels) that can match its quads. */
interface SearchTarget {
  entry: IndexSetEntry;
  minPixels: number;
  maxPixels: number;
}

/** Index stars that land in the image under `wcs`, their pixel positions, and their numbers. */
function indexStarsInImage(entry: IndexSetEntry, wcs: Wcs, width: number, height: number, scaleArcsec: number) {
  const radiusDeg = (Math.hypot(width, height) / 2) * (scaleArcsec / 3600) * 1.05;
  const centre = radecToVec(wcs.crval[0], wcs.crval[1]);
  const ids = rangeSearch(entry.index.stars, Float64Array.from(centre), Math.sqrt(angleToChordSq(degToRad(Math.min(radiusDeg, 89)))));
  const xy: number[] = [], stars: number[] = [];
  for (const t of ids) {
    const v = starVector(entry.index, t);
    const { ra, dec } = vecToRadec(v);
    const p = wcsSkyToPixel(wcs, ra, dec);
    if (!p || p.x < -0.5 || p.y < -0.5 || p.x > width - 0.5 || p.y > height - 0.5) continue;
    xy.push(p.x, p.y);
    stars.push(t);
  }
  return { xy: Float64Array.from(xy), stars };
}

/** Catalogue stars in the field: where a WCS puts them, and what the index knows of them. */
interface ReferenceStars {
  xy: Float64Array;
  radec: RaDec[];
  mags: number[];
  /** Position keys (see {@link starKey}), to recognise a star whichever sub-index it came from. */
  keys: string[];
}

/** About 0.2 arcsec cells: one catalogue star seen through two sub-indices gets one key. */
function starKey(v: Vec3): string {
  return `${Math.round(v[0] * 1e6)},${Math.round(v[1] * 1e6)},${Math.round(v[2] * 1e6)}`;
}

/**
 * The stars of the given sub-indices that land in the image under `wcs`, without duplicates
 * (the sub-indices of one catalogue share their brightest stars).
 */
function referenceStarsInImage(entries: readonly IndexSetEntry[], wcs: Wcs, width: number, height: number, scaleArcsec: number): ReferenceStars {
  const seen = new Set<string>();
  const out: ReferenceStars = { xy: new Float64Array(0), radec: [], mags: [], keys: [] };
  const xy: number[] = [];
  for (const entry of entries) {
    const found = indexStarsInImage(entry, wcs, width, height, scaleArcsec);
    found.stars.forEach((t, i) => {
      const v = starVector(entry.index, t);
      const key = starKey(v);
      if (seen.has(key)) return;
      seen.add(key);
      xy.push(found.xy[2 * i], found.xy[2 * i + 1]);
      out.radec.push(vecToRadec(v));
      out.mags.push(entry.index.mags[t]);
      out.keys.push(key);
    });
  }
  out.xy = Float64Array.from(xy);
  return out;
}

/**
 * Weighted mean square of the residuals the pairs would have had each left out of the fit,
 * pixels²: leave-one-out cross-validation in closed form (residual / (1 − leverage)), so it
 * grows with terms the stars cannot support, where the fit's own residuals shrink.
 */
function heldOutError(fit: FitWcsResult, pairs: readonly WcsFitPair[]): number {
  let sum = 0, weights = 0;
  pairs.forEach((p, i) => {
    const w = p.weight ?? 1;
    if (!(w > 0)) return;
    const out = fit.residuals[i] / (1 - fit.leverage[i]);
    sum += w * out * out;
    weights += w;
  });
  return Number.isFinite(sum) && weights > 0 ? sum / weights : Infinity;
}

/**
 * The fit to keep among orders 1 (TAN) … `top`'s (`options.sipOrder`; `top` is that fit,
 * already made): walking up from TAN, a higher order replaces the best so far only when its
 * held-out error is below {@link HIGHER_ORDER_GAIN} times the best's. A wrong pair at the edge
 * of a frame hides under a quadratic fitted to a few dozen stars (it pulls the fit onto itself,
 * so its residual stays under the clip and the next round matches it again); held out, its
 * residual is whole, and the order that bent for it loses.
 */
function simplestSufficientFit(pairs: readonly WcsFitPair[], top: FitWcsResult, options: FitWcsOptions): FitWcsResult {
  const topOrder = options.sipOrder ?? 1;
  let best = top, bestError = Infinity;
  for (let order = 1; order <= topOrder; order++) {
    const fit = order === topOrder ? top : fitWcs(pairs, { ...options, sipOrder: order });
    const error = heldOutError(fit, pairs);
    if (error < bestError * HIGHER_ORDER_GAIN || bestError === Infinity) {
      best = fit;
      bestError = error;
    }
  }
  return best;
}

interface Accepted {
  wcs: Wcs;
  logOdds: number;
  /** Field star number and catalogue star of each match. */
  matches: Array<{ field: number; radec: RaDec; mag: number }>;
  entry: IndexSetEntry;
}

/**
 * Solves a field: where it points, its scale, rotation and parity, as a TAN-SIP WCS.
 *
 * @param input - an {@link Image}, a path or encoded bytes (stars are found with `detect()`),
 *   or a star list `{ stars: [{x, y, flux}], width, height }`.
 * @param options - index, scale and position hints, parity, time limit, AbortSignal, thresholds.
 * @returns `solved: true` with the WCS and the matched stars, or `solved: false` with a reason.
 *   Never a guess: a solution is returned only when its log-odds pass `logOddsToSolve` twice,
 *   for the quad's hypothesis and for the refitted WCS over the whole image.
 * @throws AsterismError `E_INVALID_ARGUMENT` for bad options, image errors from decoding,
 *   index errors from loading, `E_ABORTED` when `signal` fires.
 *
 * @example
 * ```ts
 * import { solve } from 'asterism';
 * const result = await solve('m45.jpg', { scale: { low: 1, high: 3, units: 'degwidth' } });
 * if (result.solved) console.log(result.center, result.pixelScale, result.wcs!.pixelToSky(0, 0));
 * ```
 */
export async function solve(input: SolveInput, options: SolveOptions = {}): Promise<SolveResult> {
  const started = performance.now();
  checkOptions(options);
  const { signal } = options;
  const abortIfAsked = () => {
    if (signal?.aborted) throw new AsterismError('E_ABORTED', 'solving was aborted');
  };
  abortIfAsked();
  const timings: SolveTimings = { detect: 0, loadIndex: 0, search: 0, verify: 0, refine: 0, total: 0 };
  const timeLimit = options.timeLimit ?? DEFAULT_TIME_LIMIT_MS;
  const deadline = started + timeLimit;
  let quadsTried = 0, hypothesesTested = 0, starsUsed = 0;
  const finish = (result: Omit<SolveResult, 'quadsTried' | 'hypothesesTested' | 'starsUsed' | 'timings'>): SolveResult => {
    timings.total = performance.now() - started;
    return { ...result, quadsTried, hypothesesTested, starsUsed, timings };
  };

  let lastYield = performance.now(), lastProgress = -Infinity;
  /** Reports progress at most every PROGRESS_EVERY_MS, and always when the stage changes. */
  let lastStage = '';
  const progress = (stage: string) => {
    const now = performance.now();
    if (options.onProgress && (now - lastProgress >= PROGRESS_EVERY_MS || stage !== lastStage)) {
      lastStage = stage;
      lastProgress = now;
      const p: SolveProgress = { stage, quadsTried, hypothesesTested, starsUsed, elapsedMs: now - started };
      options.onProgress(p);
    }
  };

  // Field stars.
  let field: FieldStars;
  const t0 = performance.now();
  if (isStarList(input)) field = starListField(input);
  else {
    progress('detecting');
    const found = await detect(input as Image | string | Uint8Array, { signal });
    field = starListField({ stars: found.stars, width: found.width, height: found.height });
  }
  timings.detect = performance.now() - t0;
  const { width, height } = field;
  const fieldCount = field.flux.length;
  if (fieldCount < 4) return finish({ solved: false, reason: `too few stars (${fieldCount}; a quad needs 4)` });

  const t1 = performance.now();
  progress('loading index');
  const set = await indexSetOf(options.index, signal);
  timings.loadIndex = performance.now() - t1;
  abortIfAsked();

  // Which sub-indices, and which image-quad sizes for each.
  const [scaleLow, scaleHigh] = scaleBounds(options, width, height);
  const minSide = Math.min(width, height);
  const minQuad = Math.max(QUAD_MIN_FRACTION * minSide, 4);
  const maxQuad = Math.hypot(width, height);
  const targets: SearchTarget[] = [];
  for (const entry of set.subIndices) {
    const { scaleLowerDeg, scaleUpperDeg } = entry.index.meta;
    const lo = Math.max(minQuad, scaleHigh === Infinity ? 0 : (scaleLowerDeg * 3600) / scaleHigh);
    const hi = Math.min(maxQuad, scaleLow === 0 ? Infinity : (scaleUpperDeg * 3600) / scaleLow);
    if (lo <= hi && entry.index.meta.quadCount > 0) targets.push({ entry, minPixels: lo, maxPixels: hi });
  }
  if (targets.length === 0) return finish({ solved: false, reason: 'no index covers the scales this image can have' });
  const quadMinAll = Math.min(...targets.map((t) => t.minPixels));
  const quadMaxAll = Math.max(...targets.map((t) => t.maxPixels));

  const parities: Parity[] = options.parity === 'normal' ? ['normal'] : options.parity === 'flipped' ? ['flipped'] : ['normal', 'flipped'];
  const tolerance = options.codeTolerance ?? DEFAULT_CODE_TOLERANCE;
  const logOddsToSolve = options.logOddsToSolve ?? DEFAULT_LOG_ODDS_TO_SOLVE;
  const maxStars = Math.min(options.maxStars ?? DEFAULT_MAX_STARS, fieldCount);
  const verifyCount = Math.min(fieldCount, VERIFY_FIELD_STARS);
  const verifyXY = field.xy.subarray(0, 2 * verifyCount);
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  const position = options.position;
  // Centroid errors scale as 1/flux for faint (background-limited) stars, so weights go as
  // flux² up to the median star; brighter ones are capped at 1, where catalogue errors dominate.
  const medianFlux = field.flux[Math.floor(Math.min(fieldCount, verifyCount) / 2)] || 1;
  const centroidWeight = (f: number) => Math.min(1, (field.flux[f] / medianFlux) ** 2) || 1e-6;

  const pause = async () => {
    if (performance.now() - lastYield < YIELD_EVERY_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    lastYield = performance.now();
    abortIfAsked();
  };

  /** Verifies a hypothesis; on success refits and verifies again. */
  const tryHypothesis = (target: SearchTarget, quad: readonly number[], indexQuad: ArrayLike<number>, parity: Parity): Accepted | null => {
    const { entry } = target;
    const k = quad.length;
    const pix = new Float64Array(2 * k);
    const vecs: Vec3[] = [];
    for (let i = 0; i < k; i++) {
      pix[2 * i] = field.xy[2 * quad[i]];
      pix[2 * i + 1] = field.xy[2 * quad[i] + 1];
      vecs.push(starVector(entry.index, indexQuad[i]));
    }
    const hypothesis = quadHypothesis(pix, vecs, parity, cx, cy);
    if (!hypothesis) return null;
    const scale = wcsPixelScaleArcsec(hypothesis);
    if (scale < scaleLow || scale > scaleHigh) return null;
    if (position && separationDeg({ ra: hypothesis.crval[0], dec: hypothesis.crval[1] }, position) > position.radius) return null;
    hypothesesTested++;
    const tv = performance.now();
    // Variance grows with distance from the quad: the quad pins the transform only locally.
    const qx = (pix[0] + pix[2]) / 2, qy = (pix[1] + pix[3]) / 2;
    const quadRadius2 = ((pix[0] - pix[2]) ** 2 + (pix[1] - pix[3]) ** 2) / 4;
    const quadKeys = new Set(vecs.map(starKey));
    const skipField = Uint32Array.from(quad.filter((f) => f < verifyCount));
    const check = (entries: readonly IndexSetEntry[]) => {
      const reference = referenceStarsInImage(entries, hypothesis, width, height, scale);
      const m = reference.keys.length;
      const sigma2 = new Float64Array(m);
      const skipIndex: number[] = [];
      for (let i = 0; i < m; i++) {
        const d2 = (reference.xy[2 * i] - qx) ** 2 + (reference.xy[2 * i + 1] - qy) ** 2;
        sigma2[i] = HYPOTHESIS_SIGMA_PX ** 2 * (1 + d2 / quadRadius2);
        if (quadKeys.has(reference.keys[i])) skipIndex.push(i);
      }
      if (m <= skipIndex.length) return null;
      const result = verifyHypothesis({ fieldXY: verifyXY, indexXY: reference.xy, indexSigma2: sigma2, width, height, skipField, skipIndex: Uint32Array.from(skipIndex) });
      return { result, reference };
    };
    let first = check([entry]);
    // A promising hypothesis that the matched sub-index alone cannot confirm (it holds few stars
    // at the finest scales) gets a second look with the stars of every searched sub-index.
    if (first && first.result.bestLogOdds < logOddsToSolve && first.result.bestLogOdds > SECOND_LOOK_LOG_ODDS && targets.length > 1) {
      first = check(targets.map((t) => t.entry));
    }
    timings.verify += performance.now() - tv;
    if (!first || first.result.bestLogOdds < logOddsToSolve) return null;

    progress('refining');
    // Refine: weighted least squares on every matched star, then verify over the whole image
    // against the stars of every searched sub-index.
    const tr = performance.now();
    let pairs: Array<{ field: number; radec: RaDec; mag: number }> = [];
    for (let i = 0; i < k; i++) pairs.push({ field: quad[i], radec: vecToRadec(vecs[i]), mag: entry.index.mags[indexQuad[i]] });
    for (let j = 0; j < verifyCount; j++) {
      const i = first.result.fieldMatch[j];
      if (i >= 0) pairs.push({ field: j, radec: first.reference.radec[i], mag: first.reference.mags[i] });
    }
    let accepted: Accepted | null = null;
    for (let round = 0; round < 3; round++) {
      // Enough pairs for the order: each axis has (o+1)(o+2)/2 terms; ask for twice that.
      let order = options.sipOrder ?? defaultSipOrder((scale * Math.max(width, height)) / 3600);
      while (order > 0 && pairs.length < (order + 1) * (order + 2)) order--;
      let wcs: Wcs;
      try {
        const fitPairs = pairs.map(({ field: f, radec }) => ({ x: field.xy[2 * f], y: field.xy[2 * f + 1], ra: radec.ra, dec: radec.dec, weight: centroidWeight(f) }));
        const fitOptions = { crpix: [cx, cy] as [number, number], sipOrder: order, imageWidth: width, imageHeight: height };
        const fit = fitWcs(fitPairs, fitOptions);
        // A wrong pair among hundreds still bends a cubic: drop pairs far off the fit and refit.
        const sorted = Float64Array.from(fit.residuals).sort();
        const clip = Math.max(OUTLIER_MIN_PX, OUTLIER_MEDIANS * sorted[sorted.length >> 1]);
        const kept = fitPairs.filter((_, i) => fit.residuals[i] <= clip);
        const clipped = kept.length < fitPairs.length && kept.length >= (order + 1) * (order + 2);
        const top = clipped ? fitWcs(kept, fitOptions) : fit;
        // An order the caller asked for is fitted as asked; the default one is only the highest tried.
        wcs = options.sipOrder === undefined && order >= 2 ? simplestSufficientFit(clipped ? kept : fitPairs, top, fitOptions).wcs : top.wcs;
      } catch {
        break;
      }
      const reference = referenceStarsInImage(targets.map((t) => t.entry), wcs, width, height, wcsPixelScaleArcsec(wcs));
      if (reference.radec.length === 0) break;
      const check = verifyHypothesis({
        fieldXY: verifyXY, indexXY: reference.xy, indexSigma2: new Float64Array(reference.radec.length).fill(REFINED_SIGMA_PX ** 2), width, height,
      });
      if (check.bestLogOdds < logOddsToSolve) {
        accepted = null;
        break;
      }
      const next: Array<{ field: number; radec: RaDec; mag: number }> = [];
      for (let j = 0; j < verifyCount; j++) {
        const i = check.fieldMatch[j];
        if (i >= 0) next.push({ field: j, radec: reference.radec[i], mag: reference.mags[i] });
      }
      accepted = { wcs, logOdds: check.bestLogOdds, matches: next, entry };
      if (next.length <= pairs.length && round > 0) break;
      pairs = next;
    }
    timings.refine += performance.now() - tr;
    return accepted;
  };

  // The search: quads of each size the sub-indices use (astrometry.net's files hold 3, 4 or 5
  // stars per quad), one star at a time, each batch looked up in every sub-index of its size.
  const ts = performance.now();
  let accepted: Accepted | null = null;
  let timedOut = false;
  const sizes = [...new Set(targets.map((t) => t.entry.index.meta.dimQuads))].sort();
  const sizeRange = new Map(sizes.map((k) => {
    const own = targets.filter((t) => t.entry.index.meta.dimQuads === k);
    return [k, [Math.min(...own.map((t) => t.minPixels)), Math.max(...own.map((t) => t.maxPixels))]] as const;
  }));
  search: for (let n = 2; n < maxStars; n++) {
    starsUsed = n + 1;
    for (const k of sizes) {
      if (n < k - 1) continue;
      // Collect this star's quads and their codes (both parities unless one is given).
      const queries: number[] = [];
      const pending: Array<{ quad: number[]; parity: Parity; diameter: number }> = [];
      const xyQuad = new Float64Array(2 * k), yxQuad = new Float64Array(2 * k);
      const [minPixels, maxPixels] = sizeRange.get(k)!;
      const complete = quadsWithNewStar(field.xy, n, k, minPixels, maxPixels, (q, diameter) => {
        // A star late in a crowded field brings tens of thousands of quads: watch the clock.
        if ((quadsTried & 1023) === 1023 && performance.now() > deadline) return false;
        for (let i = 0; i < k; i++) {
          xyQuad[2 * i] = field.xy[2 * q[i]];
          xyQuad[2 * i + 1] = field.xy[2 * q[i] + 1];
          yxQuad[2 * i] = xyQuad[2 * i + 1];
          yxQuad[2 * i + 1] = xyQuad[2 * i];
        }
        for (const parity of parities) {
          // Index codes are in (north, east) coordinates: an image whose (x, y) → (north, east)
          // keeps orientation has det CD < 0 ('normal') and the same code as (x, y); the mirror
          // image has the code of (y, x).
          const code = quadCode(parity === 'normal' ? xyQuad : yxQuad, k as QuadSize);
          if (!code || !code.inCircle) continue;
          for (const c of code.code) queries.push(c);
          pending.push({ quad: code.order.map((o) => q[o]), parity, diameter });
        }
        quadsTried++;
      });
      if (!complete) {
        timedOut = true;
        break search;
      }
      if (pending.length === 0) continue;
      const queryArray = Float64Array.from(queries);
      for (const target of targets) {
        if (target.entry.index.meta.dimQuads !== k) continue;
        const { ids, offsets } = rangeSearchBatch(target.entry.index.codes, queryArray, tolerance);
        for (let qi = 0; qi < pending.length; qi++) {
          const { quad, parity, diameter } = pending[qi];
          if (diameter < target.minPixels || diameter > target.maxPixels) continue;
          for (let h = offsets[qi]; h < offsets[qi + 1]; h++) {
            const q = ids[h];
            const result = tryHypothesis(target, quad, target.entry.index.quads.subarray(q * k, q * k + k), parity);
            if (result) {
              accepted = result;
              break search;
            }
          }
          if (performance.now() > deadline) {
            timedOut = true;
            break search;
          }
        }
        progress('searching');
        await pause();
      }
    }
    if (performance.now() > deadline) {
      timedOut = true;
      break;
    }
  }
  timings.search = performance.now() - ts - timings.verify - timings.refine;

  if (!accepted) return finish({ solved: false, reason: timedOut ? 'time limit' : 'no match' });
  const { wcs, entry } = accepted;
  const center = wcsCenter(wcs, width, height);
  const size = wcsFieldSize(wcs, width, height);
  const matches = accepted.matches.map(({ field: f, radec: { ra, dec }, mag }) => {
    const p = wcsSkyToPixel(wcs, ra, dec);
    const x = field.xy[2 * f], y = field.xy[2 * f + 1];
    return { x, y, ra, dec, mag, residual: p ? Math.hypot(p.x - x, p.y - y) : NaN };
  });
  const solvedWcs: SolvedWcs = {
    ...wcs,
    fits: Object.fromEntries(wcsToFitsCards(wcs).map(([k, v]) => [k, v as string | number])),
    pixelToSky: (x: number, y: number) => wcsPixelToSky(wcs, x, y),
    skyToPixel: (ra: number, dec: number) => wcsSkyToPixel(wcs, ra, dec),
  };
  return finish({
    solved: true,
    center,
    pixelScale: wcsPixelScaleArcsec(wcs),
    rotation: wcsRotationDeg(wcs),
    parity: wcsParity(wcs),
    fieldWidth: size.widthDeg,
    fieldHeight: size.heightDeg,
    wcs: solvedWcs,
    logOdds: accepted.logOdds,
    matches,
    index: entry.path,
  });
}
