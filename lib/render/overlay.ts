/**
 * Pictures for people: an image stretched for display with vector shapes drawn over it (stars now;
 * solved-field outlines, catalogue labels and galaxy ellipses later). Shapes are given in asterism
 * pixel coordinates and turned into one SVG that sharp composites onto the stretched image.
 */
import sharp from 'sharp';
import type { Image } from '../image/image.js';

/** Drawing style shared by every shape. Stroke widths are display pixels, so lines stay visible when large images are shrunk. */
export interface ShapeStyle {
  /** Any SVG/CSS colour (default {@link DEFAULT_SHAPE_COLOR}). */
  color?: string;
  /** Stroke width in display pixels (default 1.5). */
  width?: number;
  /** Opacity 0–1 (default 1). */
  opacity?: number;
  /** Dash pattern in display pixels, for example `[4, 3]`. */
  dash?: number[];
}

/** A circle; centre in image pixels, radius in image pixels (never drawn smaller than {@link OverlayOptions.minRadius}). */
export interface CircleShape extends ShapeStyle {
  kind: 'circle';
  x: number;
  y: number;
  r: number;
}

/** An ellipse; centre and semi-axes in image pixels, `angle` in degrees from +x towards +y (clockwise on screen). */
export interface EllipseShape extends ShapeStyle {
  kind: 'ellipse';
  x: number;
  y: number;
  rx: number;
  ry: number;
  angle?: number;
}

/** A straight segment between two points in image pixels. */
export interface LineShape extends ShapeStyle {
  kind: 'line';
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** A polygon through points in image pixels (closed unless `closed` is false). */
export interface PolygonShape extends ShapeStyle {
  kind: 'polygon';
  points: Array<{ x: number; y: number }>;
  closed?: boolean;
}

/** Text anchored at a point in image pixels; `size` is the font size in display pixels (default 12). */
export interface LabelShape extends Omit<ShapeStyle, 'width' | 'dash'> {
  kind: 'label';
  x: number;
  y: number;
  text: string;
  size?: number;
  /** Horizontal alignment of the text at (x, y) (default 'start'). */
  anchor?: 'start' | 'middle' | 'end';
}

/** Anything {@link renderOverlay} can draw. */
export type OverlayShape = CircleShape | EllipseShape | LineShape | PolygonShape | LabelShape;

/** Default shape colour: amber stands out on a dark sky and on the grey of a bright nebula alike. */
export const DEFAULT_SHAPE_COLOR = '#ffc21a';

/** Default long side of overlay PNGs, pixels: big enough to inspect, small enough to open anywhere. */
export const DEFAULT_OVERLAY_MAX_SIZE = 2000;

/** Options of {@link stretchForDisplay}. */
export interface StretchOptions {
  /**
   * Display level of the sky, 0–1 (default 0.1): the asinh curve is shaped so the sky median lands
   * here whatever the white point, keeping the noise floor a dark grey, faint stars visible and
   * bright cores unsaturated for as long as the data's range allows.
   */
  skyLevel?: number;
  /** Black point in sky noise sigmas below the sky median (default 2). */
  blackSigmas?: number;
  /**
   * Subtract a smooth sky first (default true): medians of coarse cells, interpolated. Gradients
   * and vignetting often span tens of noise sigmas and would otherwise take the stretch's whole
   * range, hiding faint stars on the bright side. Turn it off when extended emission is the subject.
   */
  flatten?: boolean;
}

/** An 8-bit grey picture ready for display. */
export interface DisplayImage {
  width: number;
  height: number;
  /** One byte per pixel, row-major; masked (NaN) pixels are 0. */
  data: Uint8Array;
}

/** Options of {@link renderOverlay}. */
export interface OverlayOptions {
  /** Longest side of the PNG in pixels (default {@link DEFAULT_OVERLAY_MAX_SIZE}); smaller images are never enlarged. */
  maxSize?: number;
  /** Circles and ellipses shrink no smaller than this radius in display pixels (default 3). */
  minRadius?: number;
  stretch?: StretchOptions;
}

/** Options of {@link renderStarOverlay}. */
export interface StarOverlayOptions extends OverlayOptions {
  /** Circle colour (default {@link DEFAULT_SHAPE_COLOR}). */
  color?: string;
  /** Radius of the faintest star's circle, display pixels (default 5). */
  minStarRadius?: number;
  /** Radius of the brightest star's circle, display pixels (default 14). */
  maxStarRadius?: number;
  /** Number the brightest this many stars 1, 2, 3… to match a printed table (default 0). */
  labels?: number;
}

// Sampling this many pixels pins percentiles to well under a tenth of a percent, and keeps the
// sort cheap on 100-megapixel frames.
const STRETCH_SAMPLES = 400_000;
// Sigma of a normal distribution from its median absolute deviation.
const MAD_TO_SIGMA = 1.4826;

/**
 * Averages `factor` × `factor` blocks, ignoring NaN; partial blocks at the right and bottom edges
 * average what they hold. Binning (rather than picking every n-th pixel) keeps faint stars: their
 * signal adds while the noise averages down.
 */
function binPlane(plane: Float32Array, width: number, height: number, factor: number): { plane: Float32Array; width: number; height: number } {
  const outWidth = Math.ceil(width / factor);
  const outHeight = Math.ceil(height / factor);
  const sum = new Float64Array(outWidth * outHeight);
  const count = new Uint32Array(outWidth * outHeight);
  for (let y = 0; y < height; y++) {
    const outRow = Math.floor(y / factor) * outWidth;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const v = plane[row + x];
      if (Number.isNaN(v)) continue;
      const o = outRow + Math.floor(x / factor);
      sum[o] += v;
      count[o]++;
    }
  }
  const out = new Float32Array(outWidth * outHeight);
  for (let i = 0; i < out.length; i++) out[i] = count[i] ? sum[i] / count[i] : NaN;
  return { plane: out, width: outWidth, height: outHeight };
}

function finiteSample(plane: Float32Array): Float32Array {
  const step = Math.max(1, Math.floor(plane.length / STRETCH_SAMPLES));
  const sample = new Float32Array(Math.ceil(plane.length / step));
  let n = 0;
  for (let i = 0; i < plane.length; i += step) {
    const v = plane[i];
    if (Number.isFinite(v)) sample[n++] = v;
  }
  return sample.subarray(0, n).sort();
}

function quantile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

// About a dozen cells across the long side: coarse enough that a star or a small galaxy barely
// moves a cell's median, fine enough to follow vignetting.
const SKY_CELLS_LONG_SIDE = 12;
// Per-cell sample cap: a median of 2 000 values is good to a few hundredths of a sigma.
const SKY_SAMPLES_PER_CELL = 2000;

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  return values.length ? values[values.length >> 1] : NaN;
}

/** The plane minus a smooth sky: cell medians, capped by their 3×3 neighbourhood's median (to shrug off big objects), bilinearly interpolated. */
function subtractSky(plane: Float32Array, width: number, height: number): Float32Array {
  const cell = Math.max(16, Math.ceil(Math.max(width, height) / SKY_CELLS_LONG_SIDE));
  const nx = Math.ceil(width / cell), ny = Math.ceil(height / cell);
  const raw = new Float64Array(nx * ny);
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx < nx; cx++) {
      const x0 = cx * cell, y0 = cy * cell;
      const x1 = Math.min(width, x0 + cell), y1 = Math.min(height, y0 + cell);
      const step = Math.max(1, Math.floor(Math.sqrt(((x1 - x0) * (y1 - y0)) / SKY_SAMPLES_PER_CELL)));
      const values: number[] = [];
      for (let y = y0; y < y1; y += step) for (let x = x0; x < x1; x += step) {
        const v = plane[y * width + x];
        if (Number.isFinite(v)) values.push(v);
      }
      raw[cy * nx + cx] = median(values);
    }
  }
  const grid = new Float64Array(nx * ny);
  for (let cy = 0; cy < ny; cy++) {
    for (let cx = 0; cx < nx; cx++) {
      const around: number[] = [];
      for (let j = Math.max(0, cy - 1); j <= Math.min(ny - 1, cy + 1); j++) {
        for (let i = Math.max(0, cx - 1); i <= Math.min(nx - 1, cx + 1); i++) if (!Number.isNaN(raw[j * nx + i])) around.push(raw[j * nx + i]);
      }
      const own = raw[cy * nx + cx];
      const local = around.length ? median(around) : 0;
      // Only cells brighter than their neighbourhood are replaced: at the frame's edges the
      // neighbourhood is lopsided, and a plain median would drag darker edge cells inwards.
      grid[cy * nx + cx] = Number.isNaN(own) ? local : Math.min(own, local);
    }
  }
  // Cell centres are the nodes (the last cell in a row or column may be partial, so its centre is
  // not on the regular spacing). Beyond the outer centres the sky is extrapolated from the last two:
  // vignetting keeps falling towards the corners, and holding it flat there darkens the edges.
  const centres = (n: number, size: number) => Float64Array.from({ length: n }, (_, i) => (i * cell + Math.min(size, (i + 1) * cell)) / 2);
  const cxs = centres(nx, width), cys = centres(ny, height);
  const node = (pos: number, c: Float64Array): [number, number, number] => {
    if (c.length === 1) return [0, 0, 0];
    const i0 = Math.min(c.length - 2, Math.max(0, Math.floor(pos / cell - 0.5)));
    return [i0, i0 + 1, (pos - c[i0]) / (c[i0 + 1] - c[i0])];
  };
  const out = new Float32Array(plane.length);
  for (let y = 0; y < height; y++) {
    const [j0, j1, fy] = node(y + 0.5, cys);
    for (let x = 0; x < width; x++) {
      const [i0, i1, fx] = node(x + 0.5, cxs);
      const sky = (grid[j0 * nx + i0] * (1 - fx) + grid[j0 * nx + i1] * fx) * (1 - fy) + (grid[j1 * nx + i0] * (1 - fx) + grid[j1 * nx + i1] * fx) * fy;
      out[y * width + x] = plane[y * width + x] - sky;
    }
  }
  return out;
}

/**
 * Maps a float plane of any range (8-bit counts, 16-bit ADU, float FITS in arbitrary units) to
 * 8-bit display values with an asinh stretch anchored on the sky: black a little below the sky
 * median, white at the brightest pixels, and the curve shaped so the sky sits at a set dark grey.
 * By default a smooth sky is subtracted first (see {@link StretchOptions.flatten}).
 *
 * @param input - one float per pixel, row-major; NaN marks masked pixels (shown black).
 */
export function stretchForDisplay(input: Float32Array, width: number, height: number, options: StretchOptions = {}): DisplayImage {
  const skyLevel = options.skyLevel ?? 0.1;
  const blackSigmas = options.blackSigmas ?? 2;
  const plane = options.flatten === false ? input : subtractSky(input, width, height);
  const data = new Uint8Array(width * height);
  const sorted = finiteSample(plane);
  if (sorted.length === 0) return { width, height, data };
  const median = quantile(sorted, 0.5);
  const deviations = new Float32Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) deviations[i] = Math.abs(sorted[i] - median);
  deviations.sort();
  // The top 0.01 % is left to clip so one hot pixel or cosmic ray does not set the white point.
  const white = quantile(sorted, 0.9999);
  let sigma = MAD_TO_SIGMA * quantile(deviations, 0.5);
  // Quantised or synthetic skies can have a MAD of zero; fall back to a fraction of the range.
  if (!(sigma > 0)) sigma = (white - sorted[0]) / 1000;
  const black = Math.max(sorted[0], median - blackSigmas * sigma);
  const range = white - black;
  if (!(range > 0)) {
    for (let i = 0; i < data.length; i++) data[i] = Number.isNaN(plane[i]) ? 0 : 128;
    return { width, height, data };
  }
  const beta = asinhSoftening((median - black) / range, skyLevel);
  const curve = (t: number) => (beta === Infinity ? t : Math.asinh(t / beta) / Math.asinh(1 / beta));
  for (let i = 0; i < data.length; i++) {
    const v = plane[i];
    if (Number.isNaN(v)) continue;
    const t = (v - black) / range;
    // Uint8Array assignment truncates and wraps; clamp and round first.
    data[i] = t <= 0 ? 0 : t >= 1 ? 255 : Math.round(255 * curve(t));
  }
  return { width, height, data };
}

/**
 * The softening β (in units of the black-to-white range) for which asinh(t/β)/asinh(1/β) maps the
 * sky at `skyT` to `level`; Infinity (a linear stretch) when even linear puts the sky above it.
 * The ratio falls monotonically from 1 to `skyT` as β grows, so bisection on log β finds it.
 */
function asinhSoftening(skyT: number, level: number): number {
  if (!(skyT > 0) || skyT >= level) return Infinity;
  let lo = Math.log(1e-9), hi = Math.log(1e6);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    const beta = Math.exp(mid);
    if (Math.asinh(skyT / beta) / Math.asinh(1 / beta) > level) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function num(v: number): string {
  return Number.isFinite(v) ? String(Math.round(v * 100) / 100) : '0';
}

/** Maps image pixel coordinates to SVG user units of the display picture. */
interface Projection {
  x(v: number): number;
  y(v: number): number;
  length(v: number): number;
}

function strokeAttributes(shape: ShapeStyle): string {
  const parts = [`stroke="${escapeXml(shape.color ?? DEFAULT_SHAPE_COLOR)}"`, `stroke-width="${num(shape.width ?? 1.5)}"`];
  if (shape.opacity !== undefined) parts.push(`stroke-opacity="${num(shape.opacity)}"`);
  if (shape.dash?.length) parts.push(`stroke-dasharray="${shape.dash.map(num).join(' ')}"`);
  return parts.join(' ');
}

function shapeToSvg(shape: OverlayShape, p: Projection, minRadius: number): string {
  switch (shape.kind) {
    case 'circle':
      return `<circle cx="${num(p.x(shape.x))}" cy="${num(p.y(shape.y))}" r="${num(Math.max(minRadius, p.length(shape.r)))}" ${strokeAttributes(shape)}/>`;
    case 'ellipse': {
      const cx = num(p.x(shape.x)), cy = num(p.y(shape.y));
      return `<ellipse cx="${cx}" cy="${cy}" rx="${num(Math.max(minRadius, p.length(shape.rx)))}" ry="${num(Math.max(minRadius, p.length(shape.ry)))}" ` +
        `transform="rotate(${num(shape.angle ?? 0)} ${cx} ${cy})" ${strokeAttributes(shape)}/>`;
    }
    case 'line':
      return `<line x1="${num(p.x(shape.x1))}" y1="${num(p.y(shape.y1))}" x2="${num(p.x(shape.x2))}" y2="${num(p.y(shape.y2))}" ${strokeAttributes(shape)}/>`;
    case 'polygon': {
      const points = shape.points.map((q) => `${num(p.x(q.x))},${num(p.y(q.y))}`).join(' ');
      return `<${shape.closed === false ? 'polyline' : 'polygon'} points="${points}" ${strokeAttributes(shape)}/>`;
    }
    case 'label': {
      const size = shape.size ?? 12;
      const opacity = shape.opacity !== undefined ? ` fill-opacity="${num(shape.opacity)}"` : '';
      // A dark outline under the glyphs keeps labels readable over bright stars and nebulae.
      return `<text x="${num(p.x(shape.x))}" y="${num(p.y(shape.y))}" font-size="${num(size)}" text-anchor="${shape.anchor ?? 'start'}" ` +
        `fill="${escapeXml(shape.color ?? DEFAULT_SHAPE_COLOR)}"${opacity} stroke="#000" stroke-width="${num(size / 5)}" stroke-opacity="0.8" paint-order="stroke">${escapeXml(shape.text)}</text>`;
    }
  }
}

/**
 * Builds the SVG document for `shapes` on a display picture of `displayWidth` × `displayHeight`
 * showing an image of `imageWidth` × `imageHeight` pixels.
 */
export function shapesToSvg(shapes: OverlayShape[], imageWidth: number, imageHeight: number, displayWidth: number, displayHeight: number, minRadius = 3): string {
  const sx = displayWidth / imageWidth, sy = displayHeight / imageHeight;
  // Pixel (0, 0)'s centre is at (0.5, 0.5) in SVG units, where pixel i spans [i, i + 1].
  const projection: Projection = { x: (v) => (v + 0.5) * sx, y: (v) => (v + 0.5) * sy, length: (v) => v * Math.sqrt(sx * sy) };
  const body = shapes.map((s) => shapeToSvg(s, projection, minRadius)).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${displayWidth}" height="${displayHeight}" viewBox="0 0 ${displayWidth} ${displayHeight}">\n` +
    `<g fill="none" stroke-linecap="round" stroke-linejoin="round" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n${body}\n</g>\n</svg>\n`;
}

/** Display size for an image whose long side must not exceed `maxSize`. */
export function displaySize(width: number, height: number, maxSize = DEFAULT_OVERLAY_MAX_SIZE): { width: number; height: number } {
  const scale = Math.min(1, maxSize / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Renders the image's luminance, stretched for display, with `shapes` drawn over it, as PNG bytes.
 * Images larger than `maxSize` are binned by a whole factor (keeping faint stars) and then
 * resampled to the exact display size.
 *
 * @example
 * ```ts
 * const png = await renderOverlay(image, [{ kind: 'circle', x: 512, y: 384, r: 20 }, { kind: 'label', x: 535, y: 384, text: 'M 51' }]);
 * await writeFile('m51.png', png);
 * ```
 */
export async function renderOverlay(image: Image, shapes: OverlayShape[], options: OverlayOptions = {}): Promise<Buffer> {
  const target = displaySize(image.width, image.height, options.maxSize);
  const factor = Math.max(1, Math.floor(Math.max(image.width, image.height) / Math.max(target.width, target.height)));
  const binned = factor > 1 ? binPlane(image.luminance, image.width, image.height, factor) : { plane: image.luminance, width: image.width, height: image.height };
  const stretched = stretchForDisplay(binned.plane, binned.width, binned.height, options.stretch);
  // An RGB base keeps the composite in colour without sharp adding an alpha channel to the PNG.
  // sharp composites before it resizes, so the resize is a pipeline of its own.
  let base = sharp(stretched.data, { raw: { width: binned.width, height: binned.height, channels: 1 } });
  if (binned.width !== target.width || binned.height !== target.height) base = base.resize(target.width, target.height, { fit: 'fill', kernel: 'lanczos3' });
  const rgb = await base.toColourspace('srgb').raw().toBuffer();
  const svg = shapesToSvg(shapes, image.width, image.height, target.width, target.height, options.minRadius);
  return sharp(rgb, { raw: { width: target.width, height: target.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha()
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/**
 * Circles around detected stars, bigger for brighter ones (radius linear in log flux, so a
 * 10 000× range of fluxes stays readable), over the stretched image, as PNG bytes.
 *
 * @param stars - positions in image pixels and fluxes; order does not matter except for `labels`,
 *   which numbers the first stars given (pass them brightest first, as {@link detect} returns them).
 *
 * @example
 * ```ts
 * const image = await loadImage('m42.fits');
 * const { stars } = await detect(image);
 * await writeFile('m42-stars.png', await renderStarOverlay(image, stars, { labels: 20 }));
 * ```
 */
export async function renderStarOverlay(image: Image, stars: ReadonlyArray<{ x: number; y: number; flux: number }>, options: StarOverlayOptions = {}): Promise<Buffer> {
  const target = displaySize(image.width, image.height, options.maxSize);
  const displayPerImage = Math.sqrt((target.width / image.width) * (target.height / image.height));
  const rMin = options.minStarRadius ?? 5;
  const rMax = options.maxStarRadius ?? 14;
  const color = options.color ?? DEFAULT_SHAPE_COLOR;
  let logMin = Infinity, logMax = -Infinity;
  for (const s of stars) {
    if (!(s.flux > 0)) continue;
    const l = Math.log(s.flux);
    if (l < logMin) logMin = l;
    if (l > logMax) logMax = l;
  }
  const logSpan = logMax - logMin;
  const shapes: OverlayShape[] = [];
  // Dark halos first, all of them, so no halo covers a neighbour's coloured ring.
  const rings: CircleShape[] = stars.map((s) => {
    const t = s.flux > 0 && logSpan > 0 ? (Math.log(s.flux) - logMin) / logSpan : s.flux > 0 ? 1 : 0;
    return { kind: 'circle', x: s.x, y: s.y, r: (rMin + (rMax - rMin) * t) / displayPerImage, color, width: 1.5 };
  });
  for (const ring of rings) shapes.push({ ...ring, color: '#000', width: 3.5, opacity: 0.55 });
  shapes.push(...rings);
  const labelCount = Math.min(options.labels ?? 0, rings.length);
  for (let i = 0; i < labelCount; i++) {
    const ring = rings[i];
    const offset = ring.r * 0.75 + 2 / displayPerImage;
    shapes.push({ kind: 'label', x: ring.x + offset, y: ring.y - offset, text: String(i + 1), color, size: 12 });
  }
  return renderOverlay(image, shapes, { ...options, minRadius: options.minRadius ?? Math.min(3, rMin) });
}
