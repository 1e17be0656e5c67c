/**
 * The TypeScript twin of native/detect: the same algorithm, step for step, used when the addon
 * is unavailable and as the baseline the native code is tested and benchmarked against.
 * Intermediate images are Float32Arrays like the C++ floats; sums run in double.
 */
import type { NativeDetectParams, NativeDetectResult, NativeDetectStats } from '../native/addon.js';
import { AsterismError } from '../errors.js';

/** Resolved parameters; the defaults are the C++ DetectParams defaults (native/detect/detect.h). */
export interface DetectParams {
  backgroundBox: number;
  psfSigma: number;
  threshold: number;
  saddle: number;
  hotPixelRatio: number;
  contrast: number;
  apertureRadius: number;
  maxStars: number;
}

/** Single source of the detection defaults on the TypeScript side; must match native/detect/detect.h. */
export const DEFAULT_DETECT_PARAMS: Readonly<DetectParams> = Object.freeze({
  backgroundBox: 128,
  psfSigma: 1.0,
  threshold: 5.0,
  saddle: 5.0,
  hotPixelRatio: 0.15,
  contrast: 4.0,
  apertureRadius: 0,
  maxStars: 0,
});

function validParams(p: DetectParams): boolean {
  const finite = Number.isFinite;
  return p.backgroundBox >= 4 && finite(p.psfSigma) && p.psfSigma >= 0.3 && p.psfSigma <= 20 &&
    finite(p.threshold) && p.threshold > 0 && finite(p.saddle) && p.saddle >= 0 &&
    finite(p.hotPixelRatio) && p.hotPixelRatio >= 0 && p.hotPixelRatio < 1 &&
    finite(p.contrast) && p.contrast >= 0 &&
    finite(p.apertureRadius) && p.apertureRadius <= 1000 && p.maxStars >= 0;
}

/** Masks non-finite pixels and flat padding at the frame's minimum (see native/detect/flatten.h). */
export function buildMask(pixels: Float32Array, width: number, height: number): { mask: Uint8Array; masked: number } {
  const n = width * height;
  const mask = new Uint8Array(n);
  let minValue = Infinity;
  let minCount = 0;
  let masked = 0;
  for (let i = 0; i < n; i++) {
    const v = pixels[i];
    if (!Number.isFinite(v)) {
      mask[i] = 1;
      masked++;
    } else if (v < minValue) {
      minValue = v;
      minCount = 1;
    } else if (v === minValue) {
      minCount++;
    }
  }
  if (!Number.isFinite(minValue) || minCount < 4) return { mask, masked };
  const padding = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (pixels[i] !== minValue) continue;
      let flat = true;
      for (let dy = -1; dy <= 1 && flat; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const w = pixels[yy * width + xx];
          if (Number.isFinite(w) && w !== minValue) {
            flat = false;
            break;
          }
        }
      }
      if (flat) padding[i] = 1;
    }
  }
  let found = 0;
  for (let i = 0; i < n; i++) found += padding[i];
  // A frame that is all minimum is constant, not padded.
  if (found === 0 || found === n - masked) return { mask, masked };
  for (let i = 0; i < n; i++) {
    if (padding[i]) {
      mask[i] = 1;
      masked++;
    }
  }
  return { mask, masked };
}

/** Value of rank floor(n/2) of values[0..n), by quickselect (reorders the array). */
export function selectMedian(values: Float32Array | number[], n = values.length): number {
  const k = n >> 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const a = values[lo], b = values[(lo + hi) >> 1], c = values[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k];
}

/** Background cell grid (see native/detect/flatten.h). */
export interface BackgroundGrid {
  nx: number;
  ny: number;
  centreX: Float64Array;
  centreY: Float64Array;
  /** ny × nx cell medians, row-major. */
  level: Float64Array;
  /** Spline second derivatives down each grid column, same layout as `level`. */
  curvatureY: Float64Array;
}

function cellCount(length: number, box: number): number {
  return Math.max(1, Math.round(length / box));
}

/** Cubic of segment i in u = x − knots[i]: v + u (b + u (c + u d)). */
function segment(knots: Float64Array, values: Float64Array, curvature: Float64Array, stride: number, offset: number, i: number): [number, number, number, number] {
  const h = knots[i + 1] - knots[i];
  const v0 = values[offset + i * stride], v1 = values[offset + (i + 1) * stride];
  const m0 = curvature[offset + i * stride], m1 = curvature[offset + (i + 1) * stride];
  return [v0, (v1 - v0) / h - (h * (2 * m0 + m1)) / 6, m0 / 2, (m1 - m0) / (6 * h)];
}

/** Spline value at x: the cubic of x's segment, the end segments continuing outside the knots. */
export function splineValue(knots: Float64Array, values: Float64Array, curvature: Float64Array, n: number, x: number, stride = 1, offset = 0): number {
  if (n === 1) return values[offset];
  let i = 0;
  while (i < n - 2 && x >= knots[i + 1]) i++;
  const [v, b, c, d] = segment(knots, values, curvature, stride, offset, i);
  const u = x - knots[i];
  return v + u * (b + u * (c + u * d));
}

/** out[x] = spline value at x = 0 … out.length − 1, walking the segments once. */
export function splineRow(knots: Float64Array, values: Float64Array, curvature: Float64Array, n: number, out: Float32Array): void {
  const count = out.length;
  if (n === 1) {
    out.fill(values[0]);
    return;
  }
  let x = 0;
  for (let i = 0; i < n - 1; i++) {
    const [v, b, c, d] = segment(knots, values, curvature, 1, 0, i);
    const k = knots[i];
    const end = i === n - 2 ? count : Math.min(Math.max(Math.ceil(knots[i + 1]), x), count);
    for (; x < end; x++) {
      const u = x - k;
      out[x] = v + u * (b + u * (c + u * d));
    }
  }
}

/** Second derivatives of the cubic spline through (knots, values[offset + i·stride]), with parabolic runout (see flatten.cpp). */
export function splineCurvature(knots: Float64Array, values: Float64Array, n: number, stride = 1, offset = 0): Float64Array {
  const m = new Float64Array(n);
  if (n < 3) return m;
  const diag = new Float64Array(n), rhs = new Float64Array(n);
  const v = (i: number) => values[offset + i * stride];
  for (let i = 1; i < n - 1; i++) {
    const h0 = knots[i] - knots[i - 1], h1 = knots[i + 1] - knots[i];
    diag[i] = 2 * (h0 + h1);
    rhs[i] = 6 * ((v(i + 1) - v(i)) / h1 - (v(i) - v(i - 1)) / h0);
  }
  diag[1] += knots[1] - knots[0];
  diag[n - 2] += knots[n - 1] - knots[n - 2];
  for (let i = 2; i < n - 1; i++) {
    const h = knots[i] - knots[i - 1];
    const w = h / diag[i - 1];
    diag[i] -= w * h;
    rhs[i] -= w * rhs[i - 1];
  }
  for (let i = n - 2; i >= 1; i--) {
    const h = knots[i + 1] - knots[i];
    m[i] = (rhs[i] - (i + 1 < n - 1 ? h * m[i + 1] : 0)) / diag[i];
  }
  m[0] = m[1];
  m[n - 1] = m[n - 2];
  return m;
}

function rowKnots(grid: BackgroundGrid, y: number): { values: Float64Array; curvature: Float64Array } {
  const values = new Float64Array(grid.nx);
  for (let cx = 0; cx < grid.nx; cx++) values[cx] = splineValue(grid.centreY, grid.level, grid.curvatureY, grid.ny, y, grid.nx, cx);
  return { values, curvature: splineCurvature(grid.centreX, values, grid.nx) };
}

/** Background along row y, as float32 like the C++ row buffer. */
export function backgroundRow(grid: BackgroundGrid, y: number, out: Float32Array): void {
  const { values, curvature } = rowKnots(grid, y);
  splineRow(grid.centreX, values, curvature, grid.nx, out);
}

/** Background level at (x, y): the spline through the cell medians. */
export function backgroundAt(grid: BackgroundGrid, x: number, y: number): number {
  const { values, curvature } = rowKnots(grid, y);
  return splineValue(grid.centreX, values, curvature, grid.nx, x);
}

/** The pixels the background samples (see native/detect/flatten.h). */
export interface SampleGrid {
  nx: number;
  ny: number;
  cellX: number[];
  cellY: number[];
  xs: number[];
  ys: number[];
  colStart: number[];
  rowStart: number[];
  rowIndex: Int32Array;
}

export function makeSampleGrid(width: number, height: number, boxIn: number): SampleGrid {
  const box = Math.max(boxIn, 4);
  const nx = cellCount(width, box), ny = cellCount(height, box);
  const stride = Math.max(1, Math.floor(box / 32));
  const layout = (length: number, cells: number) => {
    const bounds: number[] = [], positions: number[] = [], starts: number[] = [];
    for (let c = 0; c <= cells; c++) bounds.push(Math.floor((c * length) / cells));
    for (let c = 0; c < cells; c++) {
      starts.push(positions.length);
      for (let v = bounds[c]; v < bounds[c + 1]; v += stride) positions.push(v);
    }
    starts.push(positions.length);
    return { bounds, positions, starts };
  };
  const x = layout(width, nx), y = layout(height, ny);
  const rowIndex = new Int32Array(height).fill(-1);
  y.positions.forEach((row, k) => { rowIndex[row] = k; });
  return { nx, ny, cellX: x.bounds, cellY: y.bounds, xs: x.positions, ys: y.positions, colStart: x.starts, rowStart: y.starts, rowIndex };
}

/** Cell medians, gaps filled from neighbours, knots corrected to cell means; null when no cell is valid. */
export function estimateBackground(pixels: Float32Array, mask: Uint8Array, sg: SampleGrid, width: number, height: number): BackgroundGrid | null {
  const { nx, ny } = sg;
  const centreX = new Float64Array(nx);
  const centreY = new Float64Array(ny);
  const raw = new Float64Array(nx * ny);
  const valid = new Uint8Array(nx * ny);
  for (let cx = 0; cx < nx; cx++) centreX[cx] = (sg.cellX[cx] + sg.cellX[cx + 1] - 1) / 2;
  let samples = new Float32Array(0);
  for (let cy = 0; cy < ny; cy++) {
    centreY[cy] = (sg.cellY[cy] + sg.cellY[cy + 1] - 1) / 2;
    for (let cx = 0; cx < nx; cx++) {
      const capacity = (sg.rowStart[cy + 1] - sg.rowStart[cy]) * (sg.colStart[cx + 1] - sg.colStart[cx]);
      if (samples.length < capacity) samples = new Float32Array(capacity);
      let count = 0;
      let expected = 0;
      for (let k = sg.rowStart[cy]; k < sg.rowStart[cy + 1]; k++) {
        const row = sg.ys[k] * width;
        for (let l = sg.colStart[cx]; l < sg.colStart[cx + 1]; l++) {
          expected++;
          const i = row + sg.xs[l];
          if (mask[i]) continue;
          samples[count++] = pixels[i];
        }
      }
      const needed = Math.max(Math.min(16, expected), Math.floor(expected / 10));
      if (count >= needed) {
        raw[cy * nx + cx] = selectMedian(samples, count);
        valid[cy * nx + cx] = 1;
      }
    }
  }
  if (!valid.some((v) => v)) return null;
  const filtered = raw.slice();
  let known = valid.slice();
  let missing = true;
  while (missing) {
    missing = false;
    const nextKnown = known.slice();
    for (let cy = 0; cy < ny; cy++) {
      for (let cx = 0; cx < nx; cx++) {
        const c = cy * nx + cx;
        if (known[c]) continue;
        let sum = 0;
        let count = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const x = cx + dx, y = cy + dy;
            if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
            const d = y * nx + x;
            if (known[d]) {
              sum += filtered[d];
              count++;
            }
          }
        }
        if (count > 0) {
          filtered[c] = sum / count;
          nextKnown[c] = 1;
        } else {
          missing = true;
        }
      }
    }
    known = nextKnown;
  }
  const grid: BackgroundGrid = { nx, ny, centreX, centreY, level: filtered, curvatureY: new Float64Array(nx * ny) };
  // Knots corrected until the spline's mean over each cell equals its median (see flatten.cpp).
  const target = filtered.slice();
  for (let pass = 0; pass < CELL_MEAN_PASSES; pass++) {
    fitColumnCurvatures(grid);
    const mean = cellMeans(grid, width, height);
    for (let c = 0; c < grid.level.length; c++) grid.level[c] += target[c] - mean[c];
  }
  fitColumnCurvatures(grid);
  return grid;
}

const CELL_MEAN_PASSES = 3;
const CELL_MEAN_SAMPLES = 5;

function fitColumnCurvatures(grid: BackgroundGrid): void {
  for (let cx = 0; cx < grid.nx; cx++) {
    const m = splineCurvature(grid.centreY, grid.level, grid.ny, grid.nx, cx);
    for (let cy = 0; cy < grid.ny; cy++) grid.curvatureY[cy * grid.nx + cx] = m[cy];
  }
}

function cellMeans(grid: BackgroundGrid, width: number, height: number): Float64Array {
  const { nx, ny } = grid;
  const k = CELL_MEAN_SAMPLES;
  const mean = new Float64Array(nx * ny);
  for (let cy = 0; cy < ny; cy++) {
    const y0 = Math.floor((cy * height) / ny), y1 = Math.floor(((cy + 1) * height) / ny);
    for (let j = 0; j < k; j++) {
      const y = y0 - 0.5 + ((y1 - y0) * (j + 0.5)) / k;
      const { values, curvature } = rowKnots(grid, y);
      for (let cx = 0; cx < nx; cx++) {
        const x0 = Math.floor((cx * width) / nx), x1 = Math.floor(((cx + 1) * width) / nx);
        let sum = 0;
        for (let i = 0; i < k; i++) sum += splineValue(grid.centreX, values, curvature, nx, x0 - 0.5 + ((x1 - x0) * (i + 0.5)) / k);
        mean[cy * nx + cx] += sum / (k * k);
      }
    }
  }
  return mean;
}

/** flat = pixels − background, 0 where masked (the C++ side makes these rows on the fly). */
export function flatten(pixels: Float32Array, mask: Uint8Array, width: number, height: number, grid: BackgroundGrid): Float32Array {
  const flat = new Float32Array(width * height);
  const level = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    backgroundRow(grid, y, level);
    const base = y * width;
    for (let x = 0; x < width; x++) flat[base + x] = mask[base + x] ? 0 : pixels[base + x] - level[x];
  }
  return flat;
}

/** Lattice spacing that gives about targetPairs pairs. */
export function noiseLatticeStep(width: number, height: number, offset: number, targetPairs = 4000): number {
  return Math.max(1, Math.floor(Math.sqrt(((width - offset) * (height - offset)) / targetPairs)));
}

/** Sigma from |differences| (reorders them): median / (0.67449 √2), or RMS / √2 when the median is 0. */
export function noiseFromDifferences(diffs: number[]): number {
  if (diffs.length === 0) return 0;
  let sumSq = 0;
  for (const d of diffs) sumSq += d * d;
  const fromMedian = selectMedian(diffs) / 0.9538725524089;
  if (fromMedian > 0) return fromMedian;
  return Math.sqrt(sumSq / diffs.length / 2);
}

/** Noise sigma from |differences| of pixel pairs `offset` rows and columns apart, on a lattice. */
export function estimateNoise(image: Float32Array, mask: Uint8Array, width: number, height: number, offset: number): number {
  if (width <= offset || height <= offset) return 0;
  const step = noiseLatticeStep(width, height, offset);
  const diffs: number[] = [];
  for (let y = 0; y + offset < height; y += step) {
    const row = y * width;
    const row2 = (y + offset) * width;
    for (let x = 0; x + offset < width; x += step) {
      if (mask[row + x] || mask[row2 + x + offset]) continue;
      diffs.push(Math.fround(Math.abs(Math.fround(image[row + x] - image[row2 + x + offset]))));
    }
  }
  return noiseFromDifferences(diffs);
}

/** Normalised Gaussian kernel of radius ceil(3 sigma), as float32 taps. */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    k[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma));
    sum += k[i + radius];
  }
  return Float32Array.from(k, (v) => v / sum);
}

/** Separable Gaussian smoothing, x then y, zero outside the frame; one tap at a time over a row. */
export function smoothGaussian(image: Float32Array, width: number, height: number, sigma: number): Float32Array {
  const k = gaussianKernel(sigma);
  const r = k.length >> 1;
  const tmp = new Float32Array(width * height);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const base = y * width;
    for (let j = -r; j <= r; j++) {
      const w = k[j + r];
      const x0 = Math.max(0, -j);
      const x1 = Math.min(width, width - j);
      for (let x = x0; x < x1; x++) tmp[base + x] += w * image[base + x + j];
    }
  }
  for (let y = 0; y < height; y++) {
    const dst = y * width;
    for (let j = -r; j <= r; j++) {
      const yy = y + j;
      if (yy < 0 || yy >= height) continue;
      const w = k[j + r];
      const src = yy * width;
      for (let x = 0; x < width; x++) out[dst + x] += w * tmp[src + x];
    }
  }
  return out;
}

/** Peaks with saddle trimming by union-find over significant pixels (see native/detect/peaks.h). */
export function findPeaks(smoothed: Float32Array, mask: Uint8Array, width: number, height: number, level: number, minProminence: number): { peaks: number[]; significantPixels: number } {
  const n = width * height;
  const list: number[] = [];
  for (let i = 0; i < n; i++) if (!mask[i] && smoothed[i] > level) list.push(i);
  list.sort((a, b) => (smoothed[b] - smoothed[a]) || (a - b));
  const order = Int32Array.from(list);
  const rank = new Map<number, number>();
  const parent = new Int32Array(order.length);
  const findRoot = (start: number): number => {
    let i = start;
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  const kept: number[] = [];
  const roots = new Int32Array(8);
  for (let r = 0; r < order.length; r++) {
    const p = order[r];
    const x = p % width;
    const y = (p - x) / width;
    let nroots = 0;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = y + dy;
      if (yy < 0 || yy >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = x + dx;
        if ((dx === 0 && dy === 0) || xx < 0 || xx >= width) continue;
        const q = rank.get(yy * width + xx);
        if (q === undefined) continue;
        const root = findRoot(q);
        let seen = false;
        for (let k = 0; k < nroots; k++) seen = seen || roots[k] === root;
        if (!seen) roots[nroots++] = root;
      }
    }
    if (nroots === 0) {
      parent[r] = r;
    } else {
      let winner = roots[0];
      for (let k = 1; k < nroots; k++) winner = Math.min(winner, roots[k]);
      const saddle = smoothed[p];
      for (let k = 0; k < nroots; k++) {
        if (roots[k] === winner) continue;
        if (smoothed[order[roots[k]]] - saddle >= minProminence) kept.push(roots[k]);
        parent[roots[k]] = winner;
      }
      parent[r] = winner;
    }
    rank.set(p, r);
  }
  for (let r = 0; r < order.length; r++) if (parent[r] === r) kept.push(r);
  kept.sort((a, b) => a - b);
  return { peaks: kept.map((k) => order[k]), significantPixels: order.length };
}

/** 3x3 log-quadratic (Gaussian) centroid offset of a box given row by row; null when the fit fails (see native/detect/centroid.h). */
export function centroid3x3(box: ArrayLike<number>): { dx: number; dy: number } | null {
  const z = new Float64Array(9);
  let positive = true;
  for (let i = 0; i < 9; i++) {
    z[i] = box[i];
    positive = positive && z[i] > 0;
  }
  if (positive) for (let i = 0; i < 9; i++) z[i] = Math.log(z[i]);
  let b = 0, c = 0, d = 0, e = 0, f = 0;
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < 3; i++) {
      const u = i - 1, v = j - 1, w = z[j * 3 + i];
      b += u * w;
      c += v * w;
      d += (u * u - 2 / 3) * w;
      e += (v * v - 2 / 3) * w;
      f += u * v * w;
    }
  }
  b /= 6;
  c /= 6;
  d /= 2;
  e /= 2;
  f /= 4;
  const det = 4 * d * e - f * f;
  if (!(d < 0 && det > 0)) return null;
  const dx = (f * c - 2 * e * b) / det;
  const dy = (f * b - 2 * d * c) / det;
  if (!(Math.abs(dx) <= 1 && Math.abs(dy) <= 1)) return null;
  return { dx, dy };
}

/** The 3x3 box of `image` around (px, py), or null when it leaves the frame or touches a masked pixel. */
function boxAround(image: Float32Array, mask: Uint8Array, width: number, height: number, px: number, py: number): Float32Array | null {
  if (px < 1 || py < 1 || px >= width - 1 || py >= height - 1) return null;
  const box = new Float32Array(9);
  for (let j = 0; j < 3; j++) {
    for (let i = 0; i < 3; i++) {
      const idx = (py + j - 1) * width + (px + i - 1);
      if (mask[idx]) return null;
      box[j * 3 + i] = image[idx];
    }
  }
  return box;
}

function isHotPixel(pixels: Float32Array, mask: Uint8Array, width: number, height: number, px: number, py: number, background: number, ratio: number): boolean {
  const v = pixels[py * width + px] - background;
  if (v <= 0) return false;
  let brightest = -Infinity;
  const nx = [px - 1, px + 1, px, px];
  const ny = [py, py, py - 1, py + 1];
  for (let k = 0; k < 4; k++) {
    if (nx[k] < 0 || ny[k] < 0 || nx[k] >= width || ny[k] >= height) continue;
    const j = ny[k] * width + nx[k];
    if (mask[j]) continue;
    brightest = Math.max(brightest, pixels[j] - background);
  }
  return brightest < ratio * v;
}

function apertureFlux(pixels: Float32Array, mask: Uint8Array, width: number, height: number, px: number, py: number, background: number, radius: number): number {
  const r = Math.floor(radius);
  const r2 = radius * radius;
  let sum = 0;
  for (let dy = -r; dy <= r; dy++) {
    const y = py + dy;
    if (y < 0 || y >= height) continue;
    for (let dx = -r; dx <= r; dx++) {
      const x = px + dx;
      if (x < 0 || x >= width || dx * dx + dy * dy > r2) continue;
      const i = y * width + x;
      if (!mask[i]) sum += pixels[i] - background;
    }
  }
  return sum;
}

/**
 * Median of (pixel − background) in the ring from radius + 0.5 to radius + 3 px around the peak:
 * the level a point source must stand above (see native/detect/detect.cpp).
 */
function annulusMedian(pixels: Float32Array, mask: Uint8Array, width: number, height: number, px: number, py: number, background: number, radius: number): number {
  const rIn = radius + 0.5, rOut = radius + ANNULUS_WIDTH;
  const reach = Math.ceil(rOut);
  const values: number[] = [];
  for (let dy = -reach; dy <= reach; dy++) {
    const y = py + dy;
    if (y < 0 || y >= height) continue;
    for (let dx = -reach; dx <= reach; dx++) {
      const x = px + dx;
      const d2 = dx * dx + dy * dy;
      if (x < 0 || x >= width || d2 < rIn * rIn || d2 > rOut * rOut) continue;
      const i = y * width + x;
      if (!mask[i]) values.push(pixels[i] - background);
    }
  }
  return values.length > 0 ? selectMedian(values) : 0;
}

/** Must match kAnnulusWidth in native/detect/detect.cpp. */
const ANNULUS_WIDTH = 3;

function resolveParams(options: NativeDetectParams): DetectParams {
  const p = { ...DEFAULT_DETECT_PARAMS };
  for (const key of Object.keys(p) as Array<keyof DetectParams>) {
    const v = options[key];
    if (v !== undefined) p[key] = key === 'backgroundBox' || key === 'maxStars' ? Math.trunc(v) : v;
  }
  return p;
}

/**
 * Detects stars in a float image; same contract and result shape as the addon's detectSync.
 * `isCancelled` is polled between stages.
 */
export function detectStarsJs(pixels: Float32Array, width: number, height: number, options: NativeDetectParams = {}, isCancelled?: () => boolean): NativeDetectResult {
  const params = resolveParams(options);
  if (!(width >= 1 && height >= 1) || pixels.length !== width * height || !validParams(params)) {
    throw new AsterismError('E_INVALID_ARGUMENT', 'invalid detection parameters or image size');
  }
  const cancelled = () => {
    if (isCancelled?.()) throw new AsterismError('E_ABORTED', 'detection was cancelled');
  };
  const stats: NativeDetectStats = { noise: 0, smoothedNoise: 0, backgroundMedian: 0, maskedPixels: 0, significantPixels: 0, peaks: 0, hotPixels: 0, lowContrast: 0 };
  const empty = (): NativeDetectResult => ({
    x: new Float64Array(0), y: new Float64Array(0), flux: new Float64Array(0), peak: new Float64Array(0),
    background: new Float64Array(0), snr: new Float64Array(0), stats,
  });
  const { mask, masked } = buildMask(pixels, width, height);
  stats.maskedPixels = masked;
  if (masked === width * height) throw new AsterismError('E_IMAGE_EMPTY', 'the image has no valid pixels');
  const samples = makeSampleGrid(width, height, params.backgroundBox);
  const grid = estimateBackground(pixels, mask, samples, width, height);
  if (!grid) throw new AsterismError('E_IMAGE_EMPTY', 'the image has no valid pixels');
  stats.noise = estimateNoise(pixels, mask, width, height, 5);
  cancelled();

  const smoothOffset = Math.max(5, Math.round(4 * params.psfSigma));
  stats.backgroundMedian = selectMedian(Float32Array.from(grid.level));
  cancelled();

  const smoothed = smoothGaussian(flatten(pixels, mask, width, height, grid), width, height, params.psfSigma);
  stats.smoothedNoise = estimateNoise(smoothed, mask, width, height, smoothOffset);
  if (!(stats.smoothedNoise > 0)) return empty();
  cancelled();

  const sigma = stats.smoothedNoise;
  const { peaks, significantPixels } = findPeaks(smoothed, mask, width, height, params.threshold * sigma, params.saddle * sigma);
  stats.significantPixels = significantPixels;
  stats.peaks = peaks.length;
  cancelled();

  const radius = params.apertureRadius > 0 ? params.apertureRadius : Math.max(3, 3 * params.psfSigma);
  const found: Array<{ x: number; y: number; flux: number; peak: number; background: number; snr: number }> = [];
  for (const p of peaks) {
    const px = p % width;
    const py = (p - px) / width;
    const background = backgroundAt(grid, px, py);
    if (isHotPixel(pixels, mask, width, height, px, py, background, params.hotPixelRatio)) {
      stats.hotPixels++;
      continue;
    }
    if (smoothed[p] - annulusMedian(pixels, mask, width, height, px, py, background, radius) < params.contrast * sigma) {
      stats.lowContrast++;
      continue;
    }
    const box = boxAround(smoothed, mask, width, height, px, py);
    const offset = box ? centroid3x3(box) : null;
    found.push({
      x: px + (offset?.dx ?? 0),
      y: py + (offset?.dy ?? 0),
      flux: apertureFlux(pixels, mask, width, height, px, py, background, radius),
      peak: pixels[p] - background,
      background,
      snr: smoothed[p] / sigma,
    });
  }
  found.sort((a, b) => b.flux - a.flux);
  const keep = params.maxStars > 0 ? Math.min(found.length, params.maxStars) : found.length;
  const result = empty();
  result.x = new Float64Array(keep);
  result.y = new Float64Array(keep);
  result.flux = new Float64Array(keep);
  result.peak = new Float64Array(keep);
  result.background = new Float64Array(keep);
  result.snr = new Float64Array(keep);
  for (let i = 0; i < keep; i++) {
    const s = found[i];
    result.x[i] = s.x;
    result.y[i] = s.y;
    result.flux[i] = s.flux;
    result.peak[i] = s.peak;
    result.background[i] = s.background;
    result.snr[i] = s.snr;
  }
  return result;
}
