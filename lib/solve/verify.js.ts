/**
 * The TypeScript twin of native/verify: the paper's Bayesian verification (Lang et al. 2010,
 * section 2.4), used when the addon is unavailable and as the baseline the native code is tested
 * and benchmarked against. It performs the same floating-point operations in the same order as
 * the C++ (built without fused multiply-adds), so the two differ only where Math.exp / Math.log
 * and std::exp / std::log round differently; the integer results are identical.
 */
import { AsterismError } from '../errors.js';
import type { VerifyInput, VerifyResult } from './verify.js';

/**
 * The chance a field star has no index counterpart (astrometry.net's DEFAULT_DISTRACTOR_RATIO).
 * Must match kDefaultDistractorFraction in native/verify/verify.h.
 */
export const DEFAULT_DISTRACTOR_FRACTION = 0.25;

/**
 * ln(1e-100): astrometry.net's solver abandons a hypothesis whose odds fall below this
 * (solver_set_default_values: `logratio_bail_threshold = log(1e-100)`). Must match
 * kDefaultLogOddsBail in native/verify/verify.h.
 */
export const DEFAULT_LOG_ODDS_BAIL = -230.25850929940458;

/** A match must lie within this many of the index star's sigmas (kMatchRadiusSigmas). */
const MATCH_RADIUS_SIGMAS = 5;
const TWO_PI = 2 * Math.PI;
/** Grid limits and search slack: kMaxGridSide and kCellSlack in native/verify/verify.cpp. */
const MAX_GRID_SIDE = 1024;
const CELL_SLACK = 1e-9;
const MAX_STARS = 0x7fffffff;
const EMPTY_U32 = new Uint32Array(0);

/** A verification's inputs with every default filled in; what the addon is called with. */
export interface ResolvedVerifyInput {
  fieldXY: Float64Array;
  indexXY: Float64Array;
  indexSigma2: Float64Array;
  skipField: Uint32Array;
  skipIndex: Uint32Array;
  width: number;
  height: number;
  distractorFraction: number;
  maxFieldStars: number;
  logOddsBail: number;
  logOddsStop: number;
}

function invalid(message: string): AsterismError {
  return new AsterismError('E_INVALID_ARGUMENT', message);
}

/**
 * Fills in the defaults and checks the argument types; the values are checked by the
 * verification itself (here and in the addon), so a bad input fails the same way in both.
 */
export function resolveVerifyInput(input: VerifyInput): ResolvedVerifyInput {
  if (typeof input !== 'object' || input === null) throw invalid('verifyHypothesis needs an input object');
  const { fieldXY, indexXY, indexSigma2 } = input;
  if (!(fieldXY instanceof Float64Array)) throw invalid('fieldXY must be a Float64Array');
  if (!(indexXY instanceof Float64Array)) throw invalid('indexXY must be a Float64Array');
  if (!(indexSigma2 instanceof Float64Array)) throw invalid('indexSigma2 must be a Float64Array');
  const skipField = input.skipField ?? EMPTY_U32;
  const skipIndex = input.skipIndex ?? EMPTY_U32;
  if (!(skipField instanceof Uint32Array)) throw invalid('skipField must be a Uint32Array');
  if (!(skipIndex instanceof Uint32Array)) throw invalid('skipIndex must be a Uint32Array');
  const resolved: ResolvedVerifyInput = {
    fieldXY, indexXY, indexSigma2, skipField, skipIndex,
    width: input.width,
    height: input.height,
    distractorFraction: input.distractorFraction ?? DEFAULT_DISTRACTOR_FRACTION,
    maxFieldStars: input.maxFieldStars ?? Infinity,
    logOddsBail: input.logOddsBail ?? DEFAULT_LOG_ODDS_BAIL,
    logOddsStop: input.logOddsStop ?? Infinity,
  };
  for (const key of ['width', 'height', 'distractorFraction', 'maxFieldStars', 'logOddsBail', 'logOddsStop'] as const) {
    if (typeof resolved[key] !== 'number') throw invalid(`${key} must be a number, got ${String(resolved[key])}`);
  }
  return resolved;
}

/** Checks the values the way native/verify/verify.cpp's checkInput does; lengths first, as the binding does. */
function checkValues(p: ResolvedVerifyInput): void {
  if (p.fieldXY.length % 2 !== 0) throw invalid('fieldXY.length must be even (x, y per star)');
  if (p.indexXY.length % 2 !== 0) throw invalid('indexXY.length must be even (x, y per star)');
  const n = p.fieldXY.length / 2;
  const m = p.indexXY.length / 2;
  if (p.indexSigma2.length !== m) throw invalid('indexSigma2.length must equal indexXY.length / 2');
  const max = p.maxFieldStars;
  if (!(max >= 0) || (Number.isFinite(max) && !Number.isInteger(max))) throw invalid('maxFieldStars must be an integer >= 0 or Infinity');
  if (n > MAX_STARS || m > MAX_STARS) throw invalid('at most 2^31 - 1 field and index stars');
  const { width, height } = p;
  const area = width * height;
  if (!Number.isFinite(width) || !Number.isFinite(height) || !(width > 0) || !(height > 0) || !Number.isFinite(area) || !(area > 0)) {
    throw invalid('width and height must be finite and > 0, with a finite area');
  }
  if (!(p.distractorFraction > 0 && p.distractorFraction < 1)) throw invalid('distractorFraction must be in (0, 1)');
  if (Number.isNaN(p.logOddsBail) || Number.isNaN(p.logOddsStop)) throw invalid('logOddsBail and logOddsStop must not be NaN');
  for (let k = 0; k < p.skipField.length; k++) {
    if (p.skipField[k] >= n) throw invalid('skipField entries must be < the number of field stars and skipIndex entries < the number of index stars');
  }
  for (let k = 0; k < p.skipIndex.length; k++) {
    if (p.skipIndex[k] >= m) throw invalid('skipField entries must be < the number of field stars and skipIndex entries < the number of index stars');
  }
  for (let k = 0; k < p.fieldXY.length; k++) {
    if (!Number.isFinite(p.fieldXY[k])) throw invalid('star coordinates must be finite (no NaN or Infinity)');
  }
  for (let k = 0; k < p.indexXY.length; k++) {
    if (!Number.isFinite(p.indexXY[k])) throw invalid('star coordinates must be finite (no NaN or Infinity)');
  }
  for (let i = 0; i < m; i++) {
    const s2 = p.indexSigma2[i];
    if (!Number.isFinite(s2) || !(s2 > 0)) throw invalid('indexSigma2 values must be finite and > 0');
  }
}

// Scratch reused between calls, grown as needed (the twin of the native thread_local workspace).
let indexState = new Uint8Array(256); // 0 free, 1 skipped, 2 matched
let fieldSkipped = new Uint8Array(256);
let cellStart = new Uint32Array(257);
let cellStars = new Uint32Array(256);
let starCell = new Uint32Array(256);

/** The cell holding cell coordinate u, clamped to [0, cells − 1]; NaN goes to the end that widens the search. */
function cellIndex(u: number, cells: number, high: boolean): number {
  const f = Math.floor(u);
  if (Number.isNaN(f)) return high ? cells - 1 : 0;
  if (f <= 0) return 0;
  if (f >= cells - 1) return cells - 1;
  return f;
}

/**
 * Scores one hypothesis: see {@link verifyHypothesis} in ./verify.ts for the model; this is
 * native/verify/verify.cpp line for line.
 *
 * @throws AsterismError `E_INVALID_ARGUMENT` for inconsistent lengths, non-finite coordinates,
 *   variances ≤ 0, a bad image size or distractor fraction, NaN limits or skip entries out of range.
 */
export function verifyHypothesisJs(input: VerifyInput): VerifyResult {
  const p = resolveVerifyInput(input);
  checkValues(p);
  const { fieldXY, indexXY, indexSigma2, skipField, skipIndex } = p;
  const n = fieldXY.length / 2;
  const m = indexXY.length / 2;

  if (indexState.length < m) indexState = new Uint8Array(Math.max(m, 2 * indexState.length));
  if (fieldSkipped.length < n) fieldSkipped = new Uint8Array(Math.max(n, 2 * fieldSkipped.length));
  indexState.fill(0, 0, m);
  for (let k = 0; k < skipIndex.length; k++) indexState[skipIndex[k]] = 1;
  fieldSkipped.fill(0, 0, n);
  for (let k = 0; k < skipField.length; k++) fieldSkipped[skipField[k]] = 1;
  const fieldMatch = new Int32Array(n).fill(-1);

  let active = 0;
  let sigma2Max = 0;
  for (let i = 0; i < m; i++) {
    if (indexState[i] !== 0) continue;
    active++;
    sigma2Max = Math.max(sigma2Max, indexSigma2[i]);
  }

  // The grid: cells about the search radius wide, at most 1024 per side and about 2M in all.
  let nx = 1;
  let ny = 1;
  let cellW = 1;
  let cellH = 1;
  let reachX = 0;
  let reachY = 0;
  if (active > 0) {
    const radius = MATCH_RADIUS_SIGMAS * Math.sqrt(sigma2Max);
    nx = Math.min(Math.max(Math.floor(p.width / radius), 1), MAX_GRID_SIDE);
    ny = Math.min(Math.max(Math.floor(p.height / radius), 1), MAX_GRID_SIDE);
    const cap = Math.max(1, 2 * active);
    if (nx * ny > cap) {
      const shrink = Math.sqrt(cap / (nx * ny));
      nx = Math.max(1, Math.floor(nx * shrink));
      ny = Math.max(1, Math.floor(ny * shrink));
    }
    cellW = p.width / nx;
    cellH = p.height / ny;
    reachX = radius / cellW;
    reachY = radius / cellH;

    // Counting sort of the active index stars into cells, ascending index within a cell.
    const cells = nx * ny;
    if (cellStart.length < cells + 1) cellStart = new Uint32Array(Math.max(cells + 1, 2 * cellStart.length));
    if (starCell.length < m) starCell = new Uint32Array(Math.max(m, 2 * starCell.length));
    if (cellStars.length < active) cellStars = new Uint32Array(Math.max(active, 2 * cellStars.length));
    cellStart.fill(0, 0, cells + 1);
    for (let i = 0; i < m; i++) {
      if (indexState[i] !== 0) continue;
      const cx = cellIndex(indexXY[2 * i] / cellW, nx, false);
      const cy = cellIndex(indexXY[2 * i + 1] / cellH, ny, false);
      const cell = cy * nx + cx;
      starCell[i] = cell;
      cellStart[cell + 1]++;
    }
    for (let c = 0; c < cells; c++) cellStart[c + 1] += cellStart[c];
    for (let i = 0; i < m; i++) {
      if (indexState[i] !== 0) continue;
      cellStars[cellStart[starCell[i]]++] = i;
    }
    for (let c = cells; c > 0; c--) cellStart[c] = cellStart[c - 1];
    cellStart[0] = 0;
  }

  const d = p.distractorFraction;
  const area = p.width * p.height;
  const background = 1 / area;
  const distractorDensity = d / area;
  const distractorTerm = Math.log(distractorDensity / background);
  const matchWeight = (1 - d) / active;
  // r ≤ 5σ, tested as r²/σ² ≤ 25 (an overflowing r² is then never a match).
  const reach = MATCH_RADIUS_SIGMAS * MATCH_RADIUS_SIGMAS;
  const maxEvaluated = Math.min(p.maxFieldStars, n);
  const { logOddsBail, logOddsStop } = p;

  let logOdds = 0;
  let bestLogOdds = 0;
  let bestAt = 0;
  let evaluated = 0;
  let matched = 0;
  let conflicts = 0;
  for (let j = 0; j < n && evaluated < maxEvaluated; j++) {
    if (fieldSkipped[j] !== 0) continue;
    evaluated++;
    let term = distractorTerm;
    if (active > 0) {
      const fx = fieldXY[2 * j];
      const fy = fieldXY[2 * j + 1];
      const ux = fx / cellW;
      const uy = fy / cellH;
      const spanX = reachX + CELL_SLACK * (1 + Math.abs(ux) + reachX);
      const spanY = reachY + CELL_SLACK * (1 + Math.abs(uy) + reachY);
      const x0 = cellIndex(ux - spanX, nx, false);
      const x1 = cellIndex(ux + spanX, nx, true);
      const y0 = cellIndex(uy - spanY, ny, false);
      const y1 = cellIndex(uy + spanY, ny, true);
      let best = -1;
      let bestScore = 0;
      let bestR2 = 0;
      for (let cy = y0; cy <= y1; cy++) {
        for (let cx = x0; cx <= x1; cx++) {
          const cell = cy * nx + cx;
          const end = cellStart[cell + 1];
          for (let k = cellStart[cell]; k < end; k++) {
            const i = cellStars[k];
            const dx = fx - indexXY[2 * i];
            const dy = fy - indexXY[2 * i + 1];
            const r2 = dx * dx + dy * dy;
            const score = r2 / indexSigma2[i];
            if (!(score <= reach)) continue;
            if (best < 0 || score < bestScore || (score === bestScore && i < best)) {
              best = i;
              bestScore = score;
              bestR2 = r2;
            }
          }
        }
      }
      if (best >= 0) {
        if (indexState[best] === 2) {
          conflicts++;
        } else {
          indexState[best] = 2;
          fieldMatch[j] = best;
          matched++;
          const s2 = indexSigma2[best];
          const foreground = matchWeight * Math.exp(-bestR2 / (2 * s2)) / (TWO_PI * s2) + distractorDensity;
          term = Math.log(foreground / background);
        }
      }
    }
    logOdds += term;
    if (logOdds > bestLogOdds) {
      bestLogOdds = logOdds;
      bestAt = evaluated;
    }
    if (logOdds < logOddsBail || logOdds > logOddsStop) break;
  }
  return { logOdds, bestLogOdds, bestAt, evaluated, matched, conflicts, fieldMatch };
}
