/**
 * Synthetic star fields with known truth, for detection tests and benchmarks: Gaussian PSFs
 * integrated over each pixel, a sky with gradient and vignetting, Gaussian noise, and optional
 * nuisances (hot pixels, saturation, padding, NaNs, a large galaxy).
 */
import { createRng, type Rng } from './random.js';

export interface TrueStar {
  x: number;
  y: number;
  /** Total flux in image units. */
  flux: number;
  /** Optimal (matched-filter) signal-to-noise ratio: flux / (noise × sqrt(4π σ²)). */
  snr: number;
}

export interface StarfieldOptions {
  width: number;
  height: number;
  seed: number;
  /** Number of stars (default 1000). */
  stars?: number;
  /** PSF sigma in pixels (default 1.5). */
  psfSigma?: number;
  /** Per-pixel noise sigma (default 10). */
  noise?: number;
  /** Sky level at the centre (default 1000). */
  sky?: number;
  /** Sky change across the frame, as a fraction of `sky` (default 0.3). */
  gradient?: number;
  /** Fractional darkening at the corners (default 0.2). */
  vignetting?: number;
  /** SNR range of the stars, drawn from a power law dN/dSNR ∝ SNR^-2 (default [5, 2000]). */
  snrRange?: [number, number];
  /** Hot pixels to add (single-pixel spikes of 50–500 noise sigmas; default 0). */
  hotPixels?: number;
  /** Clip values above this (saturation; default none). */
  saturation?: number;
  /** Keep stars at least this far from the edges (default 4 px). */
  margin?: number;
  /** Add a large elliptical galaxy (exponential disk) of this radius at the centre (default none). */
  galaxyRadius?: number;
}

export interface Starfield {
  width: number;
  height: number;
  pixels: Float32Array;
  stars: TrueStar[];
  hotPixels: Array<{ x: number; y: number }>;
  noise: number;
  psfSigma: number;
}

// Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, plenty for pixel-integrated PSFs.
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

/** Fraction of a unit Gaussian of width sigma centred at c falling in the pixel [i − 0.5, i + 0.5]. */
function pixelFraction(i: number, c: number, sigma: number): number {
  const s = Math.SQRT2 * sigma;
  return 0.5 * (erf((i + 0.5 - c) / s) - erf((i - 0.5 - c) / s));
}

/** Adds a pixel-integrated Gaussian star to `pixels`. */
export function addStar(pixels: Float32Array, width: number, height: number, x: number, y: number, flux: number, sigma: number): void {
  const r = Math.ceil(5 * sigma);
  const x0 = Math.max(0, Math.floor(x) - r), x1 = Math.min(width - 1, Math.ceil(x) + r);
  const y0 = Math.max(0, Math.floor(y) - r), y1 = Math.min(height - 1, Math.ceil(y) + r);
  const fx = new Float64Array(x1 - x0 + 1);
  for (let i = x0; i <= x1; i++) fx[i - x0] = pixelFraction(i, x, sigma);
  for (let j = y0; j <= y1; j++) {
    const fy = pixelFraction(j, y, sigma) * flux;
    const row = j * width;
    for (let i = x0; i <= x1; i++) pixels[row + i] += fy * fx[i - x0];
  }
}

function drawSnr(rng: Rng, [lo, hi]: [number, number]): number {
  // Inverse CDF of p(s) ∝ s^-2 on [lo, hi]: many faint stars, few bright ones, as on the sky.
  const u = rng.next();
  return 1 / (1 / lo - u * (1 / lo - 1 / hi));
}

/** Renders a reproducible synthetic star field. */
export function renderStarfield(options: StarfieldOptions): Starfield {
  const { width, height, seed } = options;
  const count = options.stars ?? 1000;
  const psfSigma = options.psfSigma ?? 1.5;
  const noise = options.noise ?? 10;
  const sky = options.sky ?? 1000;
  const gradient = options.gradient ?? 0.3;
  const vignetting = options.vignetting ?? 0.2;
  const snrRange = options.snrRange ?? [5, 2000];
  const margin = options.margin ?? 4;
  const rng = createRng(seed);
  const pixels = new Float32Array(width * height);
  const cx = (width - 1) / 2, cy = (height - 1) / 2;
  const rmax2 = cx * cx + cy * cy || 1;
  const angle = rng.uniform(0, 2 * Math.PI);
  const gx = Math.cos(angle) / Math.max(width, 1), gy = Math.sin(angle) / Math.max(height, 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r2 = ((x - cx) ** 2 + (y - cy) ** 2) / rmax2;
      const level = sky * (1 + gradient * ((x - cx) * gx + (y - cy) * gy)) * (1 - vignetting * r2);
      pixels[y * width + x] = level;
    }
  }
  if (options.galaxyRadius) {
    const rd = options.galaxyRadius / 3;
    const q = 0.5, pa = rng.uniform(0, Math.PI);
    const c = Math.cos(pa), s = Math.sin(pa);
    const central = 40 * noise;
    const reach = options.galaxyRadius * 2;
    for (let y = Math.max(0, Math.floor(cy - reach)); y <= Math.min(height - 1, cy + reach); y++) {
      for (let x = Math.max(0, Math.floor(cx - reach)); x <= Math.min(width - 1, cx + reach); x++) {
        const u = (x - cx) * c + (y - cy) * s;
        const v = (-(x - cx) * s + (y - cy) * c) / q;
        pixels[y * width + x] += central * Math.exp(-Math.hypot(u, v) / rd);
      }
    }
  }
  const area = 4 * Math.PI * psfSigma * psfSigma;
  const stars: TrueStar[] = [];
  for (let i = 0; i < count; i++) {
    const x = rng.uniform(margin, width - 1 - margin);
    const y = rng.uniform(margin, height - 1 - margin);
    const snr = drawSnr(rng, snrRange);
    const flux = snr * noise * Math.sqrt(area);
    addStar(pixels, width, height, x, y, flux, psfSigma);
    stars.push({ x, y, flux, snr });
  }
  for (let i = 0; i < pixels.length; i++) pixels[i] += noise * rng.normal();
  const hotPixels: Array<{ x: number; y: number }> = [];
  for (let i = 0; i < (options.hotPixels ?? 0); i++) {
    const x = Math.floor(rng.uniform(1, width - 1));
    const y = Math.floor(rng.uniform(1, height - 1));
    pixels[y * width + x] += noise * rng.uniform(50, 500);
    hotPixels.push({ x, y });
  }
  if (options.saturation !== undefined) {
    for (let i = 0; i < pixels.length; i++) if (pixels[i] > options.saturation) pixels[i] = options.saturation;
  }
  stars.sort((a, b) => b.flux - a.flux);
  return { width, height, pixels, stars, hotPixels, noise, psfSigma };
}

/** Pairs each true star with the nearest detection within `radius` px (greedy, brightest truth first). */
export function matchStars(truth: Array<{ x: number; y: number }>, found: Array<{ x: number; y: number }>, radius: number): { pairs: Array<[number, number]>; unmatchedFound: number[] } {
  const cell = Math.max(radius, 1);
  const grid = new Map<string, number[]>();
  found.forEach((f, i) => {
    const key = `${Math.floor(f.x / cell)},${Math.floor(f.y / cell)}`;
    let list = grid.get(key);
    if (!list) grid.set(key, (list = []));
    list.push(i);
  });
  const used = new Uint8Array(found.length);
  const pairs: Array<[number, number]> = [];
  truth.forEach((t, ti) => {
    const gx = Math.floor(t.x / cell), gy = Math.floor(t.y / cell);
    let best = -1, bestD = radius * radius;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const fi of grid.get(`${gx + dx},${gy + dy}`) ?? []) {
          if (used[fi]) continue;
          const d = (found[fi].x - t.x) ** 2 + (found[fi].y - t.y) ** 2;
          if (d <= bestD) { bestD = d; best = fi; }
        }
      }
    }
    if (best >= 0) { used[best] = 1; pairs.push([ti, best]); }
  });
  const unmatchedFound: number[] = [];
  for (let i = 0; i < found.length; i++) if (!used[i]) unmatchedFound.push(i);
  return { pairs, unmatchedFound };
}
