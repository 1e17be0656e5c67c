/** Options of {@link detect}. Every field is optional; defaults suit most amateur and survey frames. */
export interface DetectOptions {
  /** Side of the background cells, in pixels (default 128). Larger tracks big nebulae less, smaller follows gradients better. */
  backgroundBox?: number;
  /** Sigma of the matched filter in pixels, about the PSF's sigma (default 1.0). */
  psfSigma?: number;
  /** Detection threshold in units of the smoothed image's noise (default 5). */
  threshold?: number;
  /** A second peak in a blend is kept only if it rises this many smoothed sigmas above the saddle (default 5). */
  saddle?: number;
  /** Peaks whose brightest 4-neighbour is below this fraction of the peak are hot pixels (default 0.15). */
  hotPixelRatio?: number;
  /** A peak must stand this many smoothed sigmas above the median of a 3-px ring just outside its aperture (default 4); rejects threshold-level bumps on galaxies and nebulae. */
  contrast?: number;
  /** Flux aperture radius in pixels (default max(3, 3 × psfSigma)). */
  apertureRadius?: number;
  /** Keep at most this many stars, brightest first (default: all). */
  maxStars?: number;
  /** Pixel limit when `image` is a path or encoded bytes (default 250 megapixels). */
  maxPixels?: number;
  /** Aborts the detection; the promise rejects with code `E_ABORTED`. */
  signal?: AbortSignal;
}

/** One detected star. Coordinates: centre of the first pixel is (0, 0), x right, y down the stored rows. */
export interface Star {
  /** Column of the centroid, pixels. */
  x: number;
  /** Row of the centroid, pixels. */
  y: number;
  /** Background-subtracted sum in the flux aperture (image units). */
  flux: number;
  /** Background-subtracted value of the peak pixel (image units). */
  peak: number;
  /** Background level at the peak pixel (image units). */
  background: number;
  /** Matched-filter signal-to-noise ratio of the peak. */
  snr: number;
}

/** What {@link detect} found. Plain, JSON-serialisable data. */
export interface DetectResult {
  /** Stars sorted by flux, brightest first. */
  stars: Star[];
  /** Image size in pixels. */
  width: number;
  height: number;
  /** Per-pixel noise sigma of the background-subtracted image (image units). */
  noise: number;
  /** Noise sigma after the matched filter (image units). */
  smoothedNoise: number;
  /** Median of the background map (image units). */
  backgroundMedian: number;
  /** Pixels ignored: NaN, BLANK, transparent or flat padding. */
  maskedPixels: number;
  /** Peaks rejected as hot pixels. */
  hotPixels: number;
  /** Peaks rejected for not standing out from their surroundings (see `contrast`). */
  lowContrast: number;
  /** Which implementation ran. */
  backend: 'native' | 'js';
  /** Wall time of the detection itself (not decoding), ms. */
  timeMs: number;
}
