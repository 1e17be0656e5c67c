/**
 * skyCutout(): a square patch of sky resampled from an image with a WCS, as the inclination
 * models want it: 8-bit RGB, `size` × `size`, the galaxy's major axis laid horizontal.
 *
 * The cutout is its own gnomonic (TAN) projection about the requested centre. Every output
 * pixel is carried to the tangent plane (north up, east left, or turned by `majorAxisPa`), to
 * the sky, and through the image's WCS to a source pixel. Going through the sky rather than
 * rotating pixels is what makes the image's own rotation and parity (a mirrored or bottom-up
 * image) come out right without special cases: the cutout is never mirrored.
 *
 * This is TypeScript only, with no native twin (the project's rule for hot paths): a 128 × 128
 * cutout costs a few milliseconds, far less than the 15 models that read it, and its cost grows
 * only with the source pixels it averages over.
 */
import { AsterismError } from '../errors.js';
import type { Image } from '../image/image.js';
import type { RawPixels } from '../image/load.js';
import { tanDeproject } from '../sky/tan.js';
import { degToRad, vecToRadec } from '../sky/vector.js';
import { wcsSkyToPixel, type Wcs } from '../sky/wcs.js';
import type { SkyCutoutRequest } from './types.js';

/** Output side when the request does not give one: the models' 128 × 128 input. */
export const DEFAULT_CUTOUT_SIZE = 128;

/** Largest output side accepted: keeps a typo from allocating gigabytes. */
const MAX_CUTOUT_SIZE = 8192;

/**
 * The exact sky → pixel mapping is evaluated on a grid of nodes this many output pixels apart
 * and interpolated bilinearly in between. Over one 8-pixel cell of a cutout, the curvature of two
 * gnomonic projections (and of SIP) moves a pixel by far less than 0.01 px, and it spares
 * 16,000 SIP Newton inversions per cutout.
 */
const GRID_STEP = 8;

/**
 * Most sub-samples per output pixel along one axis. Usually 1 or 2 are taken (see
 * {@link resample}); more only where the footprint varies across the cutout (strong
 * distortion, a field tens of degrees wide). The cap bounds the cost of such extremes.
 */
const MAX_SUBSAMPLES = 16;

/**
 * Stretch of deeper-than-8-bit sources (16-bit, float FITS), chosen per cutout:
 *
 *   t = (value − sky) / (high − sky),   out = asinh(Q t) / asinh(Q)
 *
 * with sky the median of the cutout (most of a 1.5 × D25 field is sky; the galaxy covers
 * roughly a third of it) and high its 99.5th percentile (the galaxy's core and stars saturate
 * in the brightest 0.5 %, as they do in SDSS's JPEGs). asinh rather than linear because the
 * models were trained to resemble SDSS colour JPEGs, made with Lupton et al.'s (2004) asinh
 * stretch: it is linear near the sky and logarithmic in the bright parts, so the faint outer
 * disc that sets the axis ratio stays visible next to the core. A linear stretch to the same
 * high point would leave that disc near black. Q = 10 puts 1 % of the range at 8 of 255 levels
 * and 10 % at 75.
 */
const STRETCH_SKY_PERCENTILE = 50;
const STRETCH_HIGH_PERCENTILE = 99.5;
const STRETCH_SOFTENING = 10;

function invalid(message: string): never {
  throw new AsterismError('E_INVALID_ARGUMENT', message);
}

function checkRequest(request: SkyCutoutRequest): { size: number } {
  if (typeof request !== 'object' || request === null) invalid('skyCutout: the request must be an object { ra, dec, fovArcmin }');
  const { ra, dec, fovArcmin, majorAxisPa } = request;
  const size = request.size ?? DEFAULT_CUTOUT_SIZE;
  if (typeof ra !== 'number' || !Number.isFinite(ra)) invalid(`skyCutout: ra must be a finite number of degrees, got ${String(ra)}`);
  if (typeof dec !== 'number' || !(dec >= -90 && dec <= 90)) invalid(`skyCutout: dec must be a number of degrees in [-90, 90], got ${String(dec)}`);
  if (typeof fovArcmin !== 'number' || !Number.isFinite(fovArcmin) || !(fovArcmin > 0) || fovArcmin >= 60 * 90) {
    invalid(`skyCutout: fovArcmin must be a number of arcminutes > 0 and below 5400 (90°), got ${String(fovArcmin)}`);
  }
  if (majorAxisPa !== undefined && (typeof majorAxisPa !== 'number' || !Number.isFinite(majorAxisPa))) {
    invalid(`skyCutout: majorAxisPa must be a finite number of degrees, got ${String(majorAxisPa)}`);
  }
  if (!Number.isInteger(size) || size < 1 || size > MAX_CUTOUT_SIZE) invalid(`skyCutout: size must be a whole number of pixels from 1 to ${MAX_CUTOUT_SIZE}, got ${String(size)}`);
  return { size };
}

function checkSky(sky: { image: Image; wcs: Wcs }): void {
  if (typeof sky !== 'object' || sky === null) invalid('skyCutout: the first argument must be { image, wcs }');
  const { image, wcs } = sky;
  if (typeof image !== 'object' || image === null || !(image.luminance instanceof Float32Array) || !image.pixels ||
      !Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1 ||
      !Number.isInteger(image.channels) || image.channels < 1 || image.channels > 4 ||
      image.pixels.length !== image.width * image.height * image.channels || image.luminance.length !== image.width * image.height) {
    invalid('skyCutout: image must be a decoded asterism Image (see loadImage)');
  }
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const pair = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every(finite);
  if (typeof wcs !== 'object' || wcs === null || !pair(wcs.crval) || !pair(wcs.crpix) ||
      !Array.isArray(wcs.cd) || wcs.cd.length !== 2 || !pair(wcs.cd[0]) || !pair(wcs.cd[1])) {
    invalid('skyCutout: wcs must be a TAN or TAN-SIP Wcs with finite crval, crpix and cd');
  }
  const [[a, b], [c, d]] = wcs.cd;
  if (a * d - b * c === 0) invalid('skyCutout: the WCS CD matrix is singular');
}

/**
 * The tangent-plane directions, (east, north) components, of the cutout's right and up axes.
 * A direction at position angle θ (east of north) is (sin θ, cos θ). With `majorAxisPa` the
 * right axis is that PA and up is PA + 90°; without it, right is west (PA 270°) and up north
 * (PA 0°), the same proper rotation with θ = −90°, so the result is never mirrored.
 */
function cutoutAxes(majorAxisPa: number | undefined): { right: [number, number]; up: [number, number] } {
  const theta = degToRad(majorAxisPa ?? -90);
  const s = Math.sin(theta), c = Math.cos(theta);
  return { right: [s, c], up: [c, -s] };
}

/**
 * Source pixel coordinates (x, y) of the grid nodes, interleaved; NaN where the sky position lies
 * 90° or more from the image's tangent point.
 */
function mapGrid(wcs: Wcs, request: SkyCutoutRequest, size: number): { nodes: Float64Array; perRow: number; step: number } {
  const cells = Math.max(1, Math.ceil(size / GRID_STEP));
  const step = size / cells;
  const perRow = cells + 1;
  const nodes = new Float64Array(perRow * perRow * 2);
  const degPerPixel = request.fovArcmin / 60 / size;
  const { right, up } = cutoutAxes(request.majorAxisPa);
  const centre = { ra: request.ra, dec: request.dec };
  const middle = size / 2;
  for (let row = 0; row < perRow; row++) {
    // Nodes sit on output pixel edges: output coordinate −0.5 + k·step, from edge to edge.
    const upward = (middle - row * step) * degPerPixel;
    for (let col = 0; col < perRow; col++) {
      const rightward = (col * step - middle) * degPerPixel;
      const east = rightward * right[0] + upward * up[0];
      const north = rightward * right[1] + upward * up[1];
      const { ra, dec } = vecToRadec(tanDeproject(centre, east, north));
      const p = wcsSkyToPixel(wcs, ra, dec);
      const at = (row * perRow + col) * 2;
      nodes[at] = p === null ? NaN : p.x;
      nodes[at + 1] = p === null ? NaN : p.y;
    }
  }
  return { nodes, perRow, step };
}

/**
 * Where each output pixel lands in the image: its centre (x, y) in source pixels and the source
 * displacement of one output pixel to the right (dxdi, dydi) and down (dxdj, dydj), from the
 * bilinear patch of its grid cell. NaN where the sky is behind the image's tangent plane.
 */
interface PixelMap {
  x: Float64Array;
  y: Float64Array;
  dxdi: Float64Array;
  dydi: Float64Array;
  dxdj: Float64Array;
  dydj: Float64Array;
}

function mapPixels({ nodes, perRow, step }: ReturnType<typeof mapGrid>, size: number): PixelMap {
  const n = size * size;
  const map: PixelMap = {
    x: new Float64Array(n), y: new Float64Array(n),
    dxdi: new Float64Array(n), dydi: new Float64Array(n), dxdj: new Float64Array(n), dydj: new Float64Array(n),
  };
  for (let j = 0; j < size; j++) {
    // Output pixel centre j sits (j + 0.5) / step cells below the top row of nodes.
    const gy = (j + 0.5) / step;
    const cy = Math.min(perRow - 2, Math.floor(gy));
    const t = gy - cy;
    for (let i = 0; i < size; i++) {
      const gx = (i + 0.5) / step;
      const cx = Math.min(perRow - 2, Math.floor(gx));
      const s = gx - cx;
      const n00 = (cy * perRow + cx) * 2, n10 = n00 + 2, n01 = n00 + perRow * 2, n11 = n01 + 2;
      const out = j * size + i;
      for (let axis = 0; axis < 2; axis++) {
        const p00 = nodes[n00 + axis], p10 = nodes[n10 + axis], p01 = nodes[n01 + axis], p11 = nodes[n11 + axis];
        const at = (1 - s) * (1 - t) * p00 + s * (1 - t) * p10 + (1 - s) * t * p01 + s * t * p11;
        const along = ((1 - t) * (p10 - p00) + t * (p11 - p01)) / step;
        const down = ((1 - s) * (p01 - p00) + s * (p11 - p10)) / step;
        if (axis === 0) {
          map.x[out] = at; map.dxdi[out] = along; map.dxdj[out] = down;
        } else {
          map.y[out] = at; map.dydi[out] = along; map.dydj[out] = down;
        }
      }
    }
  }
  return map;
}

/**
 * The part of the image a cutout reads, averaged in k × k blocks, one Float32Array per colour,
 * NaN where every pixel of a block is masked. Block (bx, by) covers source pixels x0 + k·bx …
 * x0 + k·bx + k − 1 (likewise y); its centre is at source x0 + k·(bx + 0.5) − 0.5.
 */
interface Blocks {
  k: number;
  x0: number;
  y0: number;
  width: number;
  height: number;
  planes: Float32Array[];
}

/**
 * Averages the source region [x0, x1] × [y0, y1] (inclusive pixel indices) in k × k blocks.
 * One pass over the region; masked pixels (NaN luminance: NaN, BLANK, transparent) are left out.
 */
function averageBlocks(image: Image, k: number, x0: number, y0: number, x1: number, y1: number): Blocks {
  const { width, channels, pixels, luminance } = image;
  const colours = channels <= 2 ? 1 : 3;
  // Grey at full resolution: the luminance plane is the grey value itself, NaN where masked.
  if (colours === 1 && k === 1) return { k, x0: 0, y0: 0, width, height: image.height, planes: [luminance] };
  const bw = Math.ceil((x1 - x0 + 1) / k), bh = Math.ceil((y1 - y0 + 1) / k);
  const counts = new Float64Array(bw * bh);
  const s0 = new Float64Array(bw * bh);
  const s1 = colours === 3 ? new Float64Array(bw * bh) : s0;
  const s2 = colours === 3 ? new Float64Array(bw * bh) : s0;
  for (let y = y0; y <= y1; y++) {
    const rowBlock = Math.floor((y - y0) / k) * bw;
    let b = rowBlock, inBlock = 0;
    if (colours === 1) {
      // One monomorphic Float32Array read per pixel instead of the source's typed array and the mask.
      for (let index = y * width + x0, end = y * width + x1; index <= end; index++) {
        const v = luminance[index];
        if (v === v) { counts[b]++; s0[b] += v; }
        if (++inBlock === k) { inBlock = 0; b++; }
      }
    } else {
      for (let index = y * width + x0, end = y * width + x1; index <= end; index++) {
        if (luminance[index] === luminance[index]) {
          const at = index * channels;
          counts[b]++; s0[b] += pixels[at]; s1[b] += pixels[at + 1]; s2[b] += pixels[at + 2];
        }
        if (++inBlock === k) { inBlock = 0; b++; }
      }
    }
  }
  const planes = (colours === 1 ? [s0] : [s0, s1, s2]).map((sum) => {
    const plane = new Float32Array(bw * bh);
    for (let i = 0; i < plane.length; i++) plane[i] = counts[i] > 0 ? sum[i] / counts[i] : NaN;
    return plane;
  });
  return { k, x0, y0, width: bw, height: bh, planes };
}

/**
 * Resampled source values before the stretch: the mean over the valid sub-samples of each
 * output pixel, per colour, and the fraction of sub-samples that were valid (inside the image
 * and not masked). Colour-major planes of `size` × `size`.
 */
interface Resampled {
  values: Float64Array[];
  coverage: Float64Array;
}

/**
 * Area averaging in two steps, so its cost follows the source region once rather than every
 * output pixel times its footprint (a 4000-px galaxy into 128 px is 16 million source pixels,
 * ~1 s if each output pixel averaged its own 31 × 31 with bilinear samples):
 *
 * 1. the region is averaged in k × k blocks, k the smallest footprint of an output pixel in
 *    source pixels, rounded down (k = 1, the pixels as they are, when enlarging);
 * 2. each output pixel takes the mean of bilinear samples of the blocks on a grid fine enough to
 *    span its footprint (1 or 2 per axis, more only where a distortion stretches it).
 *
 * The result is a slightly wider, still isotropic, filter than an exact box: a little blur
 * instead of aliasing, and the same along every direction, so a galaxy's axis ratio does not
 * depend on how it is turned.
 */
function resample(image: Image, map: PixelMap, size: number): Resampled {
  const colours = image.channels <= 2 ? 1 : 3;
  const values = Array.from({ length: colours }, () => new Float64Array(size * size));
  const coverage = new Float64Array(size * size);
  let smallest = Infinity, xlo = Infinity, xhi = -Infinity, ylo = Infinity, yhi = -Infinity;
  for (let out = 0; out < size * size; out++) {
    const x = map.x[out], y = map.y[out];
    const di = Math.sqrt(map.dxdi[out] ** 2 + map.dydi[out] ** 2), dj = Math.sqrt(map.dxdj[out] ** 2 + map.dydj[out] ** 2);
    if (!Number.isFinite(x + y + di + dj)) continue;
    smallest = Math.min(smallest, di, dj);
    const reach = (di + dj) / 2;
    xlo = Math.min(xlo, x - reach); xhi = Math.max(xhi, x + reach);
    ylo = Math.min(ylo, y - reach); yhi = Math.max(yhi, y + reach);
  }
  if (!Number.isFinite(smallest)) return { values, coverage };
  const k = Math.max(1, Math.floor(smallest + 1e-9));
  // The region read, in whole pixels, with a margin for the bilinear neighbours; none when the
  // cutout misses the image.
  const x0 = Math.max(0, Math.floor(xlo) - 1), x1 = Math.min(image.width - 1, Math.ceil(xhi) + 1);
  const y0 = Math.max(0, Math.floor(ylo) - 1), y1 = Math.min(image.height - 1, Math.ceil(yhi) + 1);
  if (x0 > x1 || y0 > y1) return { values, coverage };
  const blocks = averageBlocks(image, k, x0, y0, x1, y1);
  const { width: bw, height: bh, planes, x0: bx0, y0: by0 } = blocks;
  const xmax = image.width - 0.5, ymax = image.height - 0.5;
  const sample = new Float64Array(colours);
  const sum = new Float64Array(colours);

  /**
   * Bilinear value of the blocks at source (x, y) into `sample`; false when outside the image
   * (beyond its outer pixel edges) or when all four neighbours are masked. Masked neighbours
   * drop out and the others' weights are renormalised, so a NaN does not blacken its surroundings.
   */
  const bilinear = (x: number, y: number): boolean => {
    if (!(x >= -0.5 && x <= xmax && y >= -0.5 && y <= ymax)) return false;
    const bx = (x - bx0 + 0.5) / k - 0.5, by = (y - by0 + 0.5) / k - 0.5;
    const ix = Math.floor(bx), iy = Math.floor(by);
    const fx = bx - ix, fy = by - iy;
    const xa = ix < 0 ? 0 : ix > bw - 1 ? bw - 1 : ix, xb = ix + 1 > bw - 1 ? bw - 1 : ix + 1 < 0 ? 0 : ix + 1;
    const ya = iy < 0 ? 0 : iy > bh - 1 ? bh - 1 : iy, yb = iy + 1 > bh - 1 ? bh - 1 : iy + 1 < 0 ? 0 : iy + 1;
    const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
    const i00 = ya * bw + xa, i10 = ya * bw + xb, i01 = yb * bw + xa, i11 = yb * bw + xb;
    // The first plane carries the mask: a block is NaN in every colour or in none.
    const first = planes[0];
    const m00 = Number.isNaN(first[i00]) ? 0 : w00, m10 = Number.isNaN(first[i10]) ? 0 : w10;
    const m01 = Number.isNaN(first[i01]) ? 0 : w01, m11 = Number.isNaN(first[i11]) ? 0 : w11;
    const weight = m00 + m10 + m01 + m11;
    if (!(weight > 0)) return false;
    for (let c = 0; c < colours; c++) {
      const plane = planes[c];
      let v = 0;
      if (m00) v += m00 * plane[i00];
      if (m10) v += m10 * plane[i10];
      if (m01) v += m01 * plane[i01];
      if (m11) v += m11 * plane[i11];
      sample[c] = v / weight;
    }
    return true;
  };

  for (let out = 0; out < size * size; out++) {
    const x = map.x[out], y = map.y[out];
    const dxdi = map.dxdi[out], dydi = map.dydi[out], dxdj = map.dxdj[out], dydj = map.dydj[out];
    if (!Number.isFinite(x + y + dxdi + dydi + dxdj + dydj)) continue;
    const ni = Math.min(MAX_SUBSAMPLES, Math.max(1, Math.ceil(Math.sqrt(dxdi * dxdi + dydi * dydi) / k - 1e-9)));
    const nj = Math.min(MAX_SUBSAMPLES, Math.max(1, Math.ceil(Math.sqrt(dxdj * dxdj + dydj * dydj) / k - 1e-9)));
    let valid = 0;
    for (let c = 0; c < colours; c++) sum[c] = 0;
    for (let b = 0; b < nj; b++) {
      const v = (b + 0.5) / nj - 0.5;
      for (let a = 0; a < ni; a++) {
        const u = (a + 0.5) / ni - 0.5;
        if (!bilinear(x + u * dxdi + v * dxdj, y + u * dydi + v * dydj)) continue;
        valid++;
        for (let c = 0; c < colours; c++) sum[c] += sample[c];
      }
    }
    if (valid === 0) continue;
    coverage[out] = valid / (ni * nj);
    for (let c = 0; c < colours; c++) values[c][out] = sum[c] / valid;
  }
  return { values, coverage };
}

/** The value at a percentile (0–100) of sorted values, nearest rank. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round((p / 100) * (sorted.length - 1))))];
}

/**
 * Per-colour maps from resampled source values to [0, 255]. 8-bit integer sources (JPEG, PNG,
 * GIF: already stretched for display) keep their values; anything deeper gets the asinh stretch
 * described at {@link STRETCH_SOFTENING}, with each colour's own sky level (so a tinted
 * background comes out neutral black) and one common scale (so colours keep their balance).
 */
function stretchOf(image: Image, { values, coverage }: Resampled): Array<(v: number) => number> {
  if (image.pixels instanceof Uint8Array) return values.map(() => (v: number) => v);
  const count = coverage.reduce((n, f) => (f > 0 ? n + 1 : n), 0);
  if (count === 0) return values.map(() => () => 0);
  const skies: number[] = [];
  let high = 0, brightest = 0, largest = 0;
  for (const plane of values) {
    const inside = new Float64Array(count);
    let k = 0;
    for (let i = 0; i < plane.length; i++) if (coverage[i] > 0) inside[k++] = plane[i];
    inside.sort();
    const sky = percentile(inside, STRETCH_SKY_PERCENTILE);
    skies.push(sky);
    high = Math.max(high, percentile(inside, STRETCH_HIGH_PERCENTILE) - sky);
    brightest = Math.max(brightest, inside[count - 1] - sky);
    largest = Math.max(largest, Math.abs(inside[0]), Math.abs(inside[count - 1]));
  }
  // Differences below a millionth of the values are interpolation rounding, not signal: such a
  // cutout is flat, and black. When only the brightest 0.5 % rise above the sky, scale to them.
  const resolution = 1e-6 * largest;
  if (!(high > resolution)) high = brightest;
  if (!(high > resolution)) return values.map(() => () => 0);
  const norm = 255 / Math.asinh(STRETCH_SOFTENING);
  return skies.map((sky) => (v: number) => {
    const t = (v - sky) / high;
    return t > 0 ? norm * Math.asinh(STRETCH_SOFTENING * t) : 0;
  });
}

/**
 * Resamples a square patch of sky from an image with a WCS: 8-bit RGB, `size` × `size`
 * (default 128), centred on (`ra`, `dec`), `fovArcmin` on a side, in a gnomonic projection about
 * that centre. Orientation as {@link SkyCutoutRequest} documents it: north up and east left, or,
 * with `majorAxisPa`, that position angle pointing right and PA + 90° up; never mirrored, whatever
 * the image's rotation and parity.
 *
 * Sampling: bilinear where an output pixel covers at most one source pixel; when it covers
 * more, the source is first averaged in blocks as large as the output pixel's footprint and then
 * sampled bilinearly (area averaging), so shrinking a large galaxy does not alias. Sky outside the image, or masked (NaN, BLANK, transparent), is black;
 * a pixel partly outside is darkened in proportion. Values: 8-bit sources (`pixels` a
 * Uint8Array) are kept as they are, already stretched for display like SDSS's JPEGs; deeper
 * ones (16-bit, float FITS) get an asinh stretch from the cutout's median (the sky) to its
 * 99.5th percentile. Grey becomes R = G = B.
 *
 * @param sky - the image and the WCS that places it (asterism pixel convention, see {@link Wcs}).
 * @param request - centre (degrees), side (arcminutes), output size and optional major-axis PA.
 * @returns interleaved RGB, `{ data: Uint8Array, width: size, height: size, channels: 3 }`.
 * @throws AsterismError `E_INVALID_ARGUMENT` for a malformed request, image or WCS.
 *
 * @example
 * ```ts
 * import { loadImage, skyCutout, wcsFromFitsCards, incline } from 'asterism';
 * const image = await loadImage('field.fits');
 * const cutout = skyCutout({ image, wcs: wcsFromFitsCards(image.header ?? []) },
 *   { ra: 339.2673, dec: 34.4156, fovArcmin: 14, majorAxisPa: 169 });
 * const result = await incline(cutout); // already turned: no pa
 * ```
 */
export function skyCutout(sky: { image: Image; wcs: Wcs }, request: SkyCutoutRequest): RawPixels {
  const { size } = checkRequest(request);
  checkSky(sky);
  const resampled = resample(sky.image, mapPixels(mapGrid(sky.wcs, request, size), size), size);
  const stretch = stretchOf(sky.image, resampled);
  const { values, coverage } = resampled;
  const data = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    const f = coverage[i];
    if (f === 0) continue;
    for (let c = 0; c < 3; c++) {
      const plane = values.length === 1 ? 0 : c;
      const v = stretch[plane](values[plane][i]) * f;
      data[i * 3 + c] = v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
    }
  }
  return { data, width: size, height: size, channels: 3 };
}
