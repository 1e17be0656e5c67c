/**
 * Types of `solve()`: what the caller gives (an image or a star list, and hints) and what comes
 * back. Angles in degrees unless a name says otherwise.
 */
import type { Image } from '../image/image.js';
import type { Wcs } from '../sky/wcs.js';
import type { RaDec } from '../sky/vector.js';
import type { IndexSet } from '../skyindex/index-set.js';

/** Stars already measured (for example by `detect()` or another extractor), instead of an image. */
export interface StarListInput {
  /** Pixel positions (centre of the first pixel = 0, 0) and a brightness; any order. */
  stars: ReadonlyArray<{ x: number; y: number; flux: number }>;
  /** Image size in pixels. */
  width: number;
  height: number;
}

/** What `solve()` accepts: a decoded image, a file path, a file's bytes, or a star list. */
export type SolveInput = Image | string | Uint8Array | StarListInput;

/** Units of a scale hint. */
export type ScaleUnits = 'degwidth' | 'arcminwidth' | 'arcsecperpix';

/** Progress report of a solve. */
export interface SolveProgress {
  /** What is happening: 'detecting', 'loading index', 'searching', 'verifying', 'refining'. */
  stage: string;
  /** Image quads tried so far. */
  quadsTried: number;
  /** Hypotheses verified so far. */
  hypothesesTested: number;
  /** Field stars in use so far. */
  starsUsed: number;
  /** Milliseconds since the solve started. */
  elapsedMs: number;
}

/** Options of `solve()`. */
export interface SolveOptions {
  /** Index files or directories, or a loaded set; default the shipped set (loadDefaultIndex). */
  index?: string | string[] | IndexSet;
  /** Plate-scale hint: the field width (degwidth, arcminwidth; of the image's wider side) or the pixel scale (arcsecperpix) lies in [low, high]. */
  scale?: { low: number; high: number; units: ScaleUnits };
  /** Position hint: the image centre lies within `radius` degrees of (ra, dec). */
  position?: { ra: number; dec: number; radius: number };
  /** 'normal' (det CD < 0: north up, east left, as the sky is seen), 'flipped', or 'both' (default). */
  parity?: 'normal' | 'flipped' | 'both';
  /** Give up after this many milliseconds (default 60000); the result is then `solved: false`. */
  timeLimit?: number;
  /** Abort: the promise rejects with AsterismError E_ABORTED. */
  signal?: AbortSignal;
  /** Log-odds needed to accept a match (default ln 1e9, the paper's value). */
  logOddsToSolve?: number;
  /**
   * SIP distortion order of the final fit, 0–5 (0 = pure TAN), lowered when too few stars match.
   * Default: the lowest order up to 2 (3 for fields 8° and wider) beyond which more terms do
   * not predict left-out matched stars clearly better.
   */
  sipOrder?: number;
  /** Brightest field stars to build quads from, at most (default 100). */
  maxStars?: number;
  /** Tolerance on quad codes, code-space distance (default 0.01). */
  codeTolerance?: number;
  /** Called a few times a second while the solve runs. */
  onProgress?: (progress: SolveProgress) => void;
}

/** One field star matched to a catalogue star by the final fit. */
export interface SolveMatch {
  /** Image position, pixels. */
  x: number;
  y: number;
  /** Catalogue position, degrees, and magnitude (NaN when the index has none). */
  ra: number;
  dec: number;
  mag: number;
  /** Distance between the star and the catalogue position under the final WCS, pixels. */
  residual: number;
}

/** A WCS with the helpers to use it. Its data fields are JSON-serialisable. */
export interface SolvedWcs extends Wcs {
  /** The FITS keywords of this WCS (CTYPE, CRVAL, CRPIX 1-based, CD, A/B/AP/BP SIP terms). */
  fits: Record<string, string | number>;
  pixelToSky(x: number, y: number): RaDec;
  skyToPixel(ra: number, dec: number): { x: number; y: number } | null;
}

/** Milliseconds spent per stage. */
export interface SolveTimings {
  detect: number;
  loadIndex: number;
  search: number;
  verify: number;
  refine: number;
  total: number;
}

/** The answer of `solve()`. */
export interface SolveResult {
  solved: boolean;
  /** Why not, when `solved` is false ('time limit', 'no index covers the scales', 'too few stars', 'no match'). */
  reason?: string;
  /** Sky position of the image centre. */
  center?: RaDec;
  /** Arcseconds per pixel. */
  pixelScale?: number;
  /**
   * Position angle of the image's +y axis, degrees east of north, in (−180, 180]: "up" when the
   * first row is drawn at the bottom, as FITS viewers do (solve-field's "up is X degrees E of N").
   */
  rotation?: number;
  /**
   * 'normal': det CD < 0, north up and east left with the first row at the bottom (astrometry.net's
   * parity −1); 'flipped': the mirror image — which is what a north-up JPEG gives, since its
   * first row is the top.
   */
  parity?: 'normal' | 'flipped';
  /** Field size, degrees. */
  fieldWidth?: number;
  fieldHeight?: number;
  wcs?: SolvedWcs;
  /** Log-odds of the accepted match (natural log). */
  logOdds?: number;
  matches?: SolveMatch[];
  /** The index file the match came from. */
  index?: string;
  /** Image quads tried, hypotheses verified, field stars used. */
  quadsTried: number;
  hypothesesTested: number;
  starsUsed: number;
  timings: SolveTimings;
}
