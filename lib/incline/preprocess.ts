/**
 * From a decoded image to the models' input: 8-bit RGB, padded with black to a square around
 * the centre, turned so the major axis is horizontal, resized to 128 × 128, scaled to [0, 1]
 * and laid out planar (CHW).
 *
 * Turning is done here, in bilinear resampling about the square's centre, and resizing by
 * sharp in pipelines of their own: one sharp pipeline that extracts, rotates and resizes crops
 * in the rotated frame, and sharp applies `extend` after `resize` whatever the call order, so
 * neither padding nor turning is left to it.
 */
import sharp from 'sharp';
import type { Image } from '../image/image.js';
import { MODEL_INPUT_SIZE } from './manifest.js';

/**
 * Largest side at which the image is turned: bigger squares are first shrunk to this by sharp.
 * Four times the model input, so bilinear interpolation blurs less than the final shrink does.
 */
const ROTATION_SIZE = 4 * MODEL_INPUT_SIZE;

/** Values per preprocessed image: 3 × 128 × 128. */
export const TENSOR_LENGTH = 3 * MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;

/** An 8-bit RGB square, interleaved, row-major. */
interface Square {
  data: Uint8Array;
  size: number;
}

/** Largest value of the alpha channel for the image's sample type. */
function alphaMax(image: Image): number {
  if (image.pixels instanceof Uint8Array) return 255;
  if (image.pixels instanceof Uint16Array) return 65535;
  return 1;
}

/**
 * The image as 8-bit RGB centred on a black square. 8-bit samples are kept; anything else
 * (16-bit, float FITS) is stretched linearly from its smallest to its largest finite colour
 * value. Grey is copied to R, G and B; alpha darkens towards black; NaN is black.
 */
function toSquareRgb8(image: Image): Square {
  const { width, height, channels, pixels } = image;
  const colours = channels <= 2 ? 1 : 3;
  const alpha = channels === 2 || channels === 4 ? channels - 1 : -1;
  let lo = 0, scale = 1;
  if (!(pixels instanceof Uint8Array)) {
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < pixels.length; i += channels) {
      for (let c = 0; c < colours; c++) {
        const v = pixels[i + c];
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    lo = Number.isFinite(min) ? min : 0;
    scale = max > min ? 255 / (max - min) : 0;
  }
  const aMax = alphaMax(image);
  const size = Math.max(width, height);
  const x0 = (size - width) >> 1, y0 = (size - height) >> 1;
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < height; y++) {
    let at = ((y + y0) * size + x0) * 3;
    for (let x = 0, i = y * width * channels; x < width; x++, i += channels, at += 3) {
      const a = alpha < 0 ? 1 : Math.min(1, Math.max(0, pixels[i + alpha] / aMax));
      for (let c = 0; c < 3; c++) {
        const v = (pixels[i + (colours === 1 ? 0 : c)] - lo) * scale * a;
        // NaN fails both comparisons and stays 0 (black).
        data[at + c] = v > 0 ? (v < 255 ? Math.round(v) : 255) : 0;
      }
    }
  }
  return { data, size };
}

/** cos and sin of a clockwise turn, exact at multiples of 90°. */
function turn(degrees: number): [number, number] {
  const d = ((degrees % 360) + 360) % 360;
  if (d === 0) return [1, 0];
  if (d === 90) return [0, 1];
  if (d === 180) return [-1, 0];
  if (d === 270) return [0, -1];
  const r = (d * Math.PI) / 180;
  return [Math.cos(r), Math.sin(r)];
}

/**
 * Turns the square clockwise (as displayed, rows downwards) by `degrees` about its centre,
 * bilinear; what comes from outside the square is black.
 */
function rotateSquare({ data, size }: Square, degrees: number): Square {
  const [cos, sin] = turn(degrees);
  if (cos === 1) return { data, size };
  const out = new Uint8Array(data.length);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    const dy = y - c;
    for (let x = 0; x < size; x++) {
      const dx = x - c;
      // Inverse of the clockwise turn: the source of output pixel (x, y).
      const sx = c + cos * dx + sin * dy;
      const sy = c - sin * dx + cos * dy;
      const ix = Math.floor(sx), iy = Math.floor(sy);
      const fx = sx - ix, fy = sy - iy;
      const at = (y * size + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        let v = 0;
        if (iy >= 0 && iy < size) {
          if (ix >= 0 && ix < size) v += (1 - fx) * (1 - fy) * data[(iy * size + ix) * 3 + ch];
          if (ix + 1 >= 0 && ix + 1 < size) v += fx * (1 - fy) * data[(iy * size + ix + 1) * 3 + ch];
        }
        if (iy + 1 >= 0 && iy + 1 < size) {
          if (ix >= 0 && ix < size) v += (1 - fx) * fy * data[((iy + 1) * size + ix) * 3 + ch];
          if (ix + 1 >= 0 && ix + 1 < size) v += fx * fy * data[((iy + 1) * size + ix + 1) * 3 + ch];
        }
        out[at + ch] = Math.round(v);
      }
    }
  }
  return { data: out, size };
}

async function resizeSquare({ data, size }: Square, to: number): Promise<Square> {
  if (size === to) return { data, size };
  const out = await sharp(data, { raw: { width: size, height: size, channels: 3 } })
    .resize(to, to, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), size: to };
}

/**
 * The clockwise turn that makes a major axis at position angle `pa` (degrees, north through
 * east, north up and east left) horizontal: `pa + 90°`.
 */
export function rotationForPa(pa: number): number {
  return pa + 90;
}

/**
 * Preprocesses one decoded image into the models' input: float32 CHW, 3 × 128 × 128, RGB in
 * [0, 1]. With `pa` (degrees) the image is turned clockwise by `pa + 90°` about its centre.
 *
 * @example
 * ```ts
 * const tensor = await preprocessGalaxy(await loadImage('ngc4565.jpg'), 135);
 * tensor.length; // 49152
 * ```
 */
export async function preprocessGalaxy(image: Image, pa?: number): Promise<Float32Array> {
  let square = toSquareRgb8(image);
  if (pa !== undefined) {
    if (square.size > ROTATION_SIZE) square = await resizeSquare(square, ROTATION_SIZE);
    square = rotateSquare(square, rotationForPa(pa));
  }
  square = await resizeSquare(square, MODEL_INPUT_SIZE);
  const plane = MODEL_INPUT_SIZE * MODEL_INPUT_SIZE;
  const tensor = new Float32Array(TENSOR_LENGTH);
  for (let i = 0; i < plane; i++) {
    tensor[i] = square.data[i * 3] / 255;
    tensor[plane + i] = square.data[i * 3 + 1] / 255;
    tensor[2 * plane + i] = square.data[i * 3 + 2] / 255;
  }
  return tensor;
}
