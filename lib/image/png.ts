/** Encoding 8-bit pixels as PNG: the cutouts the models saw, for files, API answers and the page. */
import sharp from 'sharp';

/** 8-bit pixels, interleaved by channel (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA), row-major. */
export interface Pixels8 {
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** The pixels as PNG bytes. */
export function encodePng({ data, width, height, channels }: Pixels8): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels: channels as 1 | 2 | 3 | 4 } }).png().toBuffer();
}
