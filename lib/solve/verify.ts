/**
 * Verification of a hypothesis (Lang et al. 2010, section 2.4): given a candidate WCS from a
 * matched quad, compare where the index's stars land in the image with where the image's stars
 * are, and score the hypothesis by its log-odds against "the field is unrelated to the index".
 * Chooses the native addon when it loads and the TypeScript twin (./verify.js.ts) otherwise;
 * both compute the same thing the same way.
 */
import { fromNativeError } from '../errors.js';
import { nativeAddon } from '../native/addon.js';
import { resolveVerifyInput, verifyHypothesisJs } from './verify.js.js';

export { DEFAULT_DISTRACTOR_FRACTION, DEFAULT_LOG_ODDS_BAIL } from './verify.js.js';

/** What {@link verifyHypothesis} compares. All positions are in pixels. */
export interface VerifyInput {
  /** Field (image) stars, x0, y0, x1, y1, …, brightest first. */
  fieldXY: Float64Array;
  /** Index stars projected into the image through the hypothesis' WCS: x0, y0, x1, y1, … */
  indexXY: Float64Array;
  /**
   * Positional variance of each index star (pixels², finite and > 0), one per index star; the
   * caller makes it grow with distance from the quad, where the WCS is least certain.
   */
  indexSigma2: Float64Array;
  /** Image width in pixels; the background density is 1 / (width × height). */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** The chance a field star has no index counterpart, in (0, 1); default {@link DEFAULT_DISTRACTOR_FRACTION}. */
  distractorFraction?: number;
  /** Field star numbers to leave out (the quad's own stars, which match by construction). */
  skipField?: Uint32Array;
  /** Index star numbers to leave out, likewise. */
  skipIndex?: Uint32Array;
  /** Evaluate at most this many field stars after skipping: an integer ≥ 0; default all. */
  maxFieldStars?: number;
  /** Stop once the running log-odds fall below this (natural log); default {@link DEFAULT_LOG_ODDS_BAIL}; −Infinity never bails. */
  logOddsBail?: number;
  /** Stop once the running log-odds exceed this (natural log); default +Infinity, never. */
  logOddsStop?: number;
}

/** The outcome of {@link verifyHypothesis}: plain data. */
export interface VerifyResult {
  /** Natural-log odds after the last evaluated field star. */
  logOdds: number;
  /** The highest running log-odds after k = 0 … evaluated field stars (0 for k = 0). */
  bestLogOdds: number;
  /** The first k (field stars evaluated) at which {@link bestLogOdds} was reached. */
  bestAt: number;
  /** Field stars evaluated, skipped ones not counted. */
  evaluated: number;
  /** Field stars matched to an index star. */
  matched: number;
  /** Field stars whose nearest index star was already matched to a brighter field star (scored as distractors). */
  conflicts: number;
  /** Per field star, the index star it matched, or −1 (unmatched, conflict, skipped or not evaluated). */
  fieldMatch: Int32Array;
}

// The addon's six scalar results land here: [logOdds, bestLogOdds, bestAt, evaluated, matched, conflicts].
const summary = new Float64Array(6);

/**
 * Scores a hypothesis with the paper's Bayesian test. Field stars are taken brightest first;
 * each one is matched to the index star with the smallest r²/σ² among those within 5σ (ties: the
 * lowest index), and contributes
 * `ln(fg / bg)` with `fg = (1 − d)/M · exp(−r²/2σ²)/(2πσ²) + d/A` when that index star is still
 * free, `fg = d/A` when there is none or it is already taken (a conflict), and `bg = 1/A`
 * (d the distractor fraction, A = width × height, M the index stars not skipped).
 *
 * Synchronous: one call takes microseconds to a millisecond and a solve makes thousands, so the
 * addon is called directly rather than through a worker.
 *
 * @param input - the stars, their variances, the image size and the tuning; see {@link VerifyInput}.
 * @returns the log-odds and the matches; accept the hypothesis when `bestLogOdds` is above your
 *   threshold (the paper uses ln 1e9).
 * @throws AsterismError `E_INVALID_ARGUMENT` for wrong types, inconsistent lengths, non-finite
 *   coordinates, variances ≤ 0, a bad image size or distractor fraction, NaN limits, a
 *   maxFieldStars that is not an integer ≥ 0, or skip entries out of range.
 *
 * @example
 * ```ts
 * import { verifyHypothesis } from './verify.js';
 * const result = verifyHypothesis({
 *   fieldXY: new Float64Array([100, 100, 400, 250]),
 *   indexXY: new Float64Array([100.4, 99.8, 700, 50]),
 *   indexSigma2: new Float64Array([1, 4]),
 *   width: 800, height: 600,
 * });
 * result.matched; // 1
 * result.fieldMatch; // Int32Array [0, -1]
 * ```
 */
export function verifyHypothesis(input: VerifyInput): VerifyResult {
  const addon = nativeAddon();
  if (!addon) return verifyHypothesisJs(input);
  const p = resolveVerifyInput(input);
  let fieldMatch: Int32Array;
  try {
    fieldMatch = addon.verifyHypothesis(p.fieldXY, p.indexXY, p.indexSigma2, p.skipField, p.skipIndex, p.width, p.height,
      p.distractorFraction, p.maxFieldStars, p.logOddsBail, p.logOddsStop, summary);
  } catch (e) {
    throw fromNativeError(e);
  }
  return {
    logOdds: summary[0],
    bestLogOdds: summary[1],
    bestAt: summary[2],
    evaluated: summary[3],
    matched: summary[4],
    conflicts: summary[5],
    fieldMatch,
  };
}
