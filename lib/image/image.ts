/**
 * The one in-memory image type every stage reads.
 *
 * Pixel coordinates everywhere in asterism: the centre of the first stored pixel is (0, 0),
 * x increases to the right along a row, y increases down the rows in the order they are stored
 * in the file. (FITS viewers usually draw row 0 at the bottom; asterism does not flip it.)
 */
export type ImageFormat = 'fits' | 'jpeg' | 'png' | 'tiff' | 'webp' | 'gif' | 'raw';

/** Typed arrays that can hold original pixel values. */
export type PixelArray = Uint8Array | Uint16Array | Int16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** One FITS header card. */
export interface FitsCard {
  keyword: string;
  /** Parsed value: string for quoted strings, boolean for T/F, number otherwise; null when absent. */
  value: string | number | boolean | null;
  comment: string;
}

/** A decoded image. Plain data: safe to pass between worker threads (typed arrays transfer). */
export interface Image {
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
  /** Detection plane: one float per pixel, row-major, NaN where the pixel is masked (BLANK, NaN, transparent). */
  luminance: Float32Array;
  /** The original pixels, interleaved by channel, row-major, exactly as decoded (FITS: physical values after BZERO/BSCALE). */
  pixels: PixelArray;
  /** Channels interleaved in `pixels` (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). */
  channels: number;
  /** Bits per channel sample of the source: 8, 16, 32 or 64 (FITS: |BITPIX|). */
  bitDepth: number;
  /** Where the pixels came from. */
  format: ImageFormat;
  /** FITS header cards of the HDU the image came from. */
  header?: FitsCard[];
}
