/**
 * loadImage(): every format and depth from fixtures generated here (sharp encodes the raster
 * formats, a hand-written TIFF covers float and 32-bit samples sharp cannot write, our writer
 * covers FITS), and every kind of bad input with its exact error code.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { AsterismError } from '../lib/errors.js';
import { writeFits } from '../lib/image/fits-write.js';
import type { Image } from '../lib/image/image.js';
import { DEFAULT_MAX_PIXELS, loadImage } from '../lib/image/load.js';
import { nativeAddon } from '../lib/native/addon.js';
import { createRng } from '../scripts/synth/random.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 40;
const H = 30;

function samples(n: number, max: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Math.floor(rng.next() * (max + 1)));
}

const grey8 = Uint8Array.from(samples(W * H, 255, 1));
const rgb8 = Uint8Array.from(samples(W * H * 3, 255, 2));
const grey16 = Uint16Array.from(samples(W * H, 65535, 3));
const rgb16 = Uint16Array.from(samples(W * H * 3, 65535, 4));
// Alpha 0 on every 5th pixel, opaque elsewhere.
const rgba8 = Uint8Array.from(samples(W * H * 4, 255, 5), (v, i) => (i % 4 === 3 ? ((i >> 2) % 5 === 0 ? 0 : 255) : v));
const greyAlpha8 = Uint8Array.from(samples(W * H * 2, 255, 6), (v, i) => (i % 2 === 1 ? ((i >> 1) % 5 === 0 ? 0 : 255) : v));

const raw = (data: Uint8Array | Uint16Array, channels: 1 | 2 | 3 | 4) => sharp(data, { raw: { width: W, height: H, channels } });

async function codeOf(work: Promise<unknown>): Promise<string> {
  const error = await work.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(AsterismError);
  return (error as AsterismError).code;
}

function rec709(rgb: ArrayLike<number>, i: number, channels = 3): number {
  return Math.fround(0.2126 * rgb[i * channels] + 0.7152 * rgb[i * channels + 1] + 0.0722 * rgb[i * channels + 2]);
}

/**
 * A minimal uncompressed little-endian TIFF (one strip) for sample types sharp cannot write:
 * sampleFormat 1 unsigned, 2 signed, 3 IEEE float.
 */
function tiff(width: number, height: number, channels: number, data: Float32Array | Int32Array | Uint32Array | Int16Array, sampleFormat: 1 | 2 | 3): Uint8Array {
  const bits = data.BYTES_PER_ELEMENT * 8;
  const tags: Array<[number, number, number, number]> = [
    [256, 4, 1, width], [257, 4, 1, height], [258, 3, channels, 0], [259, 3, 1, 1],
    [262, 3, 1, channels >= 3 ? 2 : 1], [273, 4, 1, 0], [277, 3, 1, channels], [278, 4, 1, height],
    [279, 4, 1, data.byteLength], [339, 3, channels, 0],
  ];
  const ifdSize = 2 + 12 * tags.length + 4;
  const arrays = 8 + ifdSize;
  const dataAt = arrays + 4 * channels;
  const out = new Uint8Array(dataAt + data.byteLength);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, 8, true);
  view.setUint16(8, tags.length, true);
  tags.forEach(([tag, type, count, value], k) => {
    const at = 10 + 12 * k;
    view.setUint16(at, tag, true);
    view.setUint16(at + 2, type, true);
    view.setUint32(at + 4, count, true);
    if (tag === 258 || tag === 339) {
      const fill = tag === 258 ? bits : sampleFormat;
      if (channels === 1) view.setUint16(at + 8, fill, true);
      else {
        const where = tag === 258 ? arrays : arrays + 2 * channels;
        view.setUint32(at + 8, where, true);
        for (let c = 0; c < channels; c++) view.setUint16(where + 2 * c, fill, true);
      }
    } else if (tag === 273) view.setUint32(at + 8, dataAt, true);
    else if (type === 3) view.setUint16(at + 8, value, true);
    else view.setUint32(at + 8, value, true);
  });
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataAt);
  return out;
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** A copy of `png` whose IHDR claims another size: a decompression bomb's header, cheaply. */
function withPngSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(png);
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

function expectExact(image: Image, Type: new (n: number) => ArrayLike<number>, expected: ArrayLike<number>, channels: number): void {
  expect(image.pixels).toBeInstanceOf(Type);
  expect(image.channels).toBe(channels);
  expect(image.width).toBe(W);
  expect(image.height).toBe(H);
  expect(Array.from(image.pixels)).toEqual(Array.from(expected));
}

describe('loadImage: formats and depths', () => {
  it('PNG 8-bit grey, exact, luminance = grey', async () => {
    const image = await loadImage(await raw(grey8, 1).toColourspace('b-w').png().toBuffer());
    expect(image).toMatchObject({ format: 'png', bitDepth: 8 });
    expectExact(image, Uint8Array, grey8, 1);
    expect(Array.from(image.luminance)).toEqual(Array.from(grey8));
  });

  it('PNG 16-bit grey and RGB keep their depth exactly', async () => {
    const grey = await loadImage(await raw(grey16, 1).toColourspace('grey16').png().toBuffer());
    expect(grey.bitDepth).toBe(16);
    expectExact(grey, Uint16Array, grey16, 1);
    expect(grey.luminance[17]).toBe(grey16[17]);
    const colour = await loadImage(await raw(rgb16, 3).toColourspace('rgb16').png().toBuffer());
    expectExact(colour, Uint16Array, rgb16, 3);
    expect(colour.luminance[17]).toBe(rec709(rgb16, 17));
  });

  it('PNG 8-bit RGB: Rec. 709 luminance', async () => {
    const image = await loadImage(await raw(rgb8, 3).png().toBuffer());
    expectExact(image, Uint8Array, rgb8, 3);
    for (const i of [0, 1, 100, W * H - 1]) expect(image.luminance[i]).toBe(rec709(rgb8, i));
  });

  it('PNG with alpha: transparent pixels are NaN in luminance, RGBA and grey + alpha', async () => {
    const rgba = await loadImage(await raw(rgba8, 4).png().toBuffer());
    expectExact(rgba, Uint8Array, rgba8, 4);
    expect(rgba.luminance[0]).toBeNaN();
    expect(rgba.luminance[1]).toBe(rec709(rgba8, 1, 4));
    const ga = await loadImage(await raw(greyAlpha8, 2).toColourspace('b-w').png().toBuffer());
    expectExact(ga, Uint8Array, greyAlpha8, 2);
    expect(ga.luminance[5]).toBeNaN();
    expect(ga.luminance[6]).toBe(greyAlpha8[12]);
  });

  it('TIFF 8-bit, 16-bit (lossless compression)', async () => {
    const t8 = await loadImage(await raw(grey8, 1).toColourspace('b-w').tiff({ compression: 'lzw' }).toBuffer());
    expect(t8).toMatchObject({ format: 'tiff', bitDepth: 8 });
    expectExact(t8, Uint8Array, grey8, 1);
    const t16 = await loadImage(await raw(rgb16, 3).toColourspace('rgb16').tiff({ compression: 'deflate' }).toBuffer());
    expect(t16.bitDepth).toBe(16);
    expectExact(t16, Uint16Array, rgb16, 3);
  });

  it('TIFF 32-bit float (grey and RGB) and 32-bit integers, exact', async () => {
    const rng = createRng(7);
    const f1 = Float32Array.from({ length: W * H }, () => rng.normal() * 1e3);
    const grey = await loadImage(tiff(W, H, 1, f1, 3));
    expect(grey).toMatchObject({ format: 'tiff', bitDepth: 32 });
    expectExact(grey, Float32Array, f1, 1);
    expect(grey.luminance).toBe(grey.pixels);
    const f3 = Float32Array.from({ length: W * H * 3 }, () => rng.normal());
    expectExact(await loadImage(tiff(W, H, 3, f3, 3)), Float32Array, f3, 3);
    const i32 = Int32Array.from({ length: W * H }, () => Math.floor(rng.uniform(-2e9, 2e9)));
    expectExact(await loadImage(tiff(W, H, 1, i32, 2)), Int32Array, i32, 1);
    const u32 = Uint32Array.from({ length: W * H }, () => Math.floor(rng.uniform(0, 4e9)));
    expectExact(await loadImage(tiff(W, H, 1, u32, 1)), Uint32Array, u32, 1);
  });

  it('refuses signed 16-bit TIFF rather than return clamped values', async () => {
    const i16 = Int16Array.from({ length: W * H }, (_, i) => i - 600);
    expect(await codeOf(loadImage(tiff(W, H, 1, i16, 2)))).toBe('E_IMAGE_FORMAT');
  });

  it('WebP lossless RGB and RGBA, exact', async () => {
    const rgb = await loadImage(await raw(rgb8, 3).webp({ lossless: true }).toBuffer());
    expect(rgb).toMatchObject({ format: 'webp', bitDepth: 8 });
    expectExact(rgb, Uint8Array, rgb8, 3);
    const rgba = await loadImage(await raw(rgba8, 4).webp({ lossless: true, exact: true }).toBuffer());
    expectExact(rgba, Uint8Array, rgba8, 4);
    expect(rgba.luminance[5]).toBeNaN();
  });

  it('JPEG grey and RGB (lossy: close, right shape)', async () => {
    const smooth = Uint8Array.from({ length: W * H }, (_, i) => 60 + ((i % W) + Math.floor(i / W)) * 2);
    const grey = await loadImage(await raw(smooth, 1).toColourspace('b-w').jpeg({ quality: 95 }).toBuffer());
    expect(grey).toMatchObject({ format: 'jpeg', bitDepth: 8, channels: 1, width: W, height: H });
    for (const i of [0, 77, 500]) expect(Math.abs(grey.luminance[i] - smooth[i])).toBeLessThan(6);
    const colour = await loadImage(await raw(rgb8, 3).jpeg().toBuffer());
    expect(colour).toMatchObject({ format: 'jpeg', channels: 3 });
  });

  it('GIF: first frame of an animation, transparency as NaN', async () => {
    const levels = [0, 80, 160, 240];
    const frame1 = Uint8Array.from({ length: W * H * 3 }, (_, i) => levels[Math.floor(i / 3) % 4]);
    const frame2 = new Uint8Array(W * H * 3).fill(33);
    const animated = await sharp(new Uint8Array([...frame1, ...frame2]), { raw: { width: W, height: H * 2, channels: 3, pageHeight: H } }).gif().toBuffer();
    const image = await loadImage(animated);
    expect(image).toMatchObject({ format: 'gif', width: W, height: H, channels: 4 });
    for (const i of [0, 1, 2, 3, 99]) expect(image.luminance[i]).toBeCloseTo(levels[i % 4], 3);
    const transparent = await loadImage(await raw(Uint8Array.from(rgba8, (v, i) => (i % 4 === 3 ? v : 100)), 4).gif().toBuffer());
    expect(transparent.luminance[0]).toBeNaN();
    expect(transparent.luminance[1]).toBeCloseTo(100, 3);
  });

  it('FITS from bytes and from a path, on both backends', async () => {
    const stored = Int16Array.from(samples(W * H, 60000, 8), (v) => v - 30000);
    const bytes = writeFits(W, H, stored, { bitpix: 16, bzero: 32768, extraCards: [['EXPTIME', 120]] });
    const path = join(dir, 'frame.fits');
    writeFileSync(path, bytes);
    for (const forceJs of nativeAddon() ? ['', '1'] : ['1']) {
      process.env.ASTERISM_FORCE_JS = forceJs;
      try {
        for (const input of [bytes, path]) {
          const image = await loadImage(input);
          expect(image).toMatchObject({ format: 'fits', width: W, height: H, channels: 1, bitDepth: 16 });
          expect(image.pixels[9]).toBe(stored[9] + 32768);
          expect(image.header?.find((c) => c.keyword === 'EXPTIME')?.value).toBe(120);
        }
      } finally {
        delete process.env.ASTERISM_FORCE_JS;
      }
    }
  });

  it('raw pixels: used as given, luminance from channels', async () => {
    const image = await loadImage({ data: rgba8, width: W, height: H, channels: 4 });
    expect(image).toMatchObject({ format: 'raw', bitDepth: 8, channels: 4 });
    expect(image.pixels).toBe(rgba8);
    expect(image.luminance[0]).toBeNaN();
    expect(image.luminance[1]).toBe(rec709(rgba8, 1, 4));
    const f = new Float32Array(W * H).fill(3.5);
    const grey = await loadImage({ data: f, width: W, height: H, channels: 1 });
    expect(grey.luminance).toBe(f);
    expect(grey.bitDepth).toBe(32);
  });

  it('reads a PNG from a path', async () => {
    const path = join(dir, 'grey.png');
    writeFileSync(path, await raw(grey8, 1).toColourspace('b-w').png().toBuffer());
    expectExact(await loadImage(path), Uint8Array, grey8, 1);
  });
});

describe('loadImage: bad input gets the right code', () => {
  const fitsBytes = () => writeFits(W, H, Float32Array.from(samples(W * H, 1000, 9)), { bitpix: -32 });

  it('empty bytes and an empty file', async () => {
    expect(await codeOf(loadImage(new Uint8Array(0)))).toBe('E_IMAGE_FORMAT');
    const path = join(dir, 'empty.png');
    writeFileSync(path, new Uint8Array(0));
    expect(await codeOf(loadImage(path))).toBe('E_IMAGE_FORMAT');
  });

  it('truncated PNG, JPEG and FITS', async () => {
    const png = await raw(rgb8, 3).png().toBuffer();
    expect(await codeOf(loadImage(png.subarray(0, png.length >> 1)))).toBe('E_IMAGE_TRUNCATED');
    const jpeg = await raw(rgb8, 3).jpeg().toBuffer();
    expect(await codeOf(loadImage(jpeg.subarray(0, jpeg.length >> 1)))).toBe('E_IMAGE_TRUNCATED');
    expect(await codeOf(loadImage(jpeg.subarray(0, jpeg.length - 2)))).toBe('E_IMAGE_TRUNCATED');
    const fits = fitsBytes();
    expect(await codeOf(loadImage(fits.subarray(0, 4000)))).toBe('E_IMAGE_TRUNCATED');
    expect(await codeOf(loadImage(fits.subarray(0, 1000)))).toBe('E_IMAGE_TRUNCATED');
  });

  it('truncated TIFF, GIF and WebP', async () => {
    const tif = await raw(rgb8, 3).tiff({ compression: 'deflate' }).toBuffer();
    expect(await codeOf(loadImage(tif.subarray(0, tif.length >> 1)))).toBe('E_IMAGE_TRUNCATED');
    const gif = await raw(rgb8, 3).gif().toBuffer();
    expect(await codeOf(loadImage(gif.subarray(0, gif.length >> 1)))).toBe('E_IMAGE_TRUNCATED');
    const webp = await raw(rgb8, 3).webp().toBuffer();
    expect(await codeOf(loadImage(webp.subarray(0, webp.length >> 1)))).toBe('E_IMAGE_TRUNCATED');
  });

  it('text, wrong magic, random bytes, SVG', async () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, 'RA and Dec of the targets, one per line\n'.repeat(20));
    expect(await codeOf(loadImage(path))).toBe('E_IMAGE_FORMAT');
    const png = await raw(rgb8, 3).png().toBuffer();
    const wrongMagic = Uint8Array.from(png);
    wrongMagic[1] = 0x51;
    expect(await codeOf(loadImage(wrongMagic))).toBe('E_IMAGE_FORMAT');
    const rng = createRng(10);
    expect(await codeOf(loadImage(Uint8Array.from({ length: 5000 }, () => Math.floor(rng.next() * 256))))).toBe('E_IMAGE_FORMAT');
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect width="9" height="9"/></svg>');
    expect(await codeOf(loadImage(svg))).toBe('E_IMAGE_FORMAT');
    const message = await loadImage(path).catch((e: Error) => e.message);
    expect(message).toContain('not an image asterism can read');
    expect(message).toContain(path);
  });

  it('corrupt data behind a valid magic is a format error', async () => {
    const png = Uint8Array.from(await raw(rgb8, 3).png().toBuffer());
    for (let i = 40; i < png.length - 20; i += 7) png[i] ^= 0x5a;
    expect(await codeOf(loadImage(png))).toBe('E_IMAGE_FORMAT');
  });

  it('FITS header faults', async () => {
    const negative = new TextEncoder().encode(
      ['SIMPLE  =                    T', 'BITPIX  =                   16', 'NAXIS   =                    2', 'NAXIS1  =                   -4', 'NAXIS2  =                    4', 'END']
        .map((c) => c.padEnd(80)).join('').padEnd(2880),
    );
    expect(await codeOf(loadImage(negative))).toBe('E_FITS_HEADER');
  });

  it('images with no valid pixel: NaN-only FITS, fully transparent PNG', async () => {
    expect(await codeOf(loadImage(writeFits(W, H, new Float32Array(W * H).fill(NaN), { bitpix: -32 })))).toBe('E_IMAGE_EMPTY');
    expect(await codeOf(loadImage(writeFits(W, H, new Int16Array(W * H).fill(-1), { bitpix: 16, blank: -1 })))).toBe('E_IMAGE_EMPTY');
    const clear = await raw(new Uint8Array(W * H * 4), 4).png().toBuffer();
    expect(await codeOf(loadImage(clear))).toBe('E_IMAGE_EMPTY');
  });

  it('pixel limit: checked from the header, before decoding', async () => {
    const png = await raw(rgb8, 3).png().toBuffer();
    expect(await codeOf(loadImage(png, { maxPixels: W * H - 1 }))).toBe('E_IMAGE_TOO_LARGE');
    expect((await loadImage(png, { maxPixels: W * H })).width).toBe(W);
    expect(await codeOf(loadImage(fitsBytes(), { maxPixels: 100 }))).toBe('E_IMAGE_TOO_LARGE');
    expect(await codeOf(loadImage({ data: rgb8, width: W, height: H, channels: 3 }, { maxPixels: 10 }))).toBe('E_IMAGE_TOO_LARGE');
    // A small PNG declaring 20000 × 20000 pixels is refused by default without being decoded.
    const bomb = withPngSize(await raw(rgb8, 3).png().toBuffer(), 20000, 20000);
    const started = performance.now();
    expect(20000 * 20000).toBeGreaterThan(DEFAULT_MAX_PIXELS);
    expect(await codeOf(loadImage(bomb))).toBe('E_IMAGE_TOO_LARGE');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('paths: nonexistent, a directory', async () => {
    expect(await codeOf(loadImage(join(dir, 'does-not-exist.fits')))).toBe('E_IO');
    const sub = join(dir, 'a-directory');
    mkdirSync(sub, { recursive: true });
    expect(await codeOf(loadImage(sub))).toBe('E_IO');
    const message = await loadImage(join(dir, 'missing.png')).catch((e: Error) => e.message);
    expect(message).toContain('missing.png');
  });

  it('invalid arguments', async () => {
    expect(await codeOf(loadImage(fitsBytes(), { maxPixels: 0 }))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(loadImage({ data: rgb8, width: W, height: H, channels: 2 }))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(loadImage({ data: rgb8, width: 0, height: H, channels: 3 }))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(loadImage({ data: [1, 2, 3] as unknown as Uint8Array, width: 1, height: 1, channels: 3 }))).toBe('E_INVALID_ARGUMENT');
    expect(await codeOf(loadImage(42 as unknown as string))).toBe('E_INVALID_ARGUMENT');
  });

  it('honours an AbortSignal, before and during the load', async () => {
    expect(await codeOf(loadImage(fitsBytes(), { signal: AbortSignal.abort() }))).toBe('E_ABORTED');
    const controller = new AbortController();
    const work = loadImage(await raw(rgb8, 3).png().toBuffer(), { signal: controller.signal });
    controller.abort();
    expect(await codeOf(work)).toBe('E_ABORTED');
    const path = join(dir, 'abort.fits');
    writeFileSync(path, fitsBytes());
    const controller2 = new AbortController();
    const fromPath = loadImage(path, { signal: controller2.signal });
    controller2.abort();
    expect(await codeOf(fromPath)).toBe('E_ABORTED');
  });
});
