import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { writeFits } from '../lib/image/fits-write.js';
import { decodeFitsJs } from '../lib/image/fits.js.js';
import { loadImage } from '../lib/image/load.js';
import { nativeAddon } from '../lib/native/addon.js';
import { createRng } from '../scripts/synth/random.js';
import { withBackend } from './helpers/backend.js';
import { writeTiff } from './helpers/tiff.js';

const dir = mkdtempSync(join(tmpdir(), 'asterism-image-'));
const W = 48, H = 32;
const grey8 = Uint8Array.from({ length: W * H }, (_, i) => (i * 7) % 256);
const rgb8 = Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * 13) % 256);

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => null, (err) => err);
  expect(e).toBeInstanceOf(AsterismError);
  return (e as AsterismError).code;
}

describe('sharp formats', () => {
  it('reads 8-bit PNG exactly, and RGB as Rec. 709 luminance', async () => {
    const png = await sharp(grey8, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer();
    const image = await loadImage(png);
    expect(image.format).toBe('png');
    expect(Array.from(image.luminance)).toEqual(Array.from(grey8));
    const rgb = await sharp(rgb8, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    const colour = await loadImage(rgb);
    expect(colour.channels).toBe(3);
    expect(colour.luminance[5]).toBeCloseTo(0.2126 * rgb8[15] + 0.7152 * rgb8[16] + 0.0722 * rgb8[17], 3);
  });

  it('reads 16-bit PNG exactly', async () => {
    const u16 = Uint16Array.from({ length: W * H }, (_, i) => (i * 997) % 65536);
    const png = await sharp(writeTiff(W, H, u16)).toColourspace('grey16').png().toBuffer();
    const image = await loadImage(png);
    expect(image.format).toBe('png');
    expect(image.bitDepth).toBe(16);
    expect(image.pixels).toBeInstanceOf(Uint16Array);
    expect(Array.from(image.luminance)).toEqual(Array.from(u16));
  });

  it('reads 8-bit, 16-bit and 32-bit float TIFF exactly', async () => {
    const u16 = Uint16Array.from({ length: W * H }, (_, i) => (i * 997) % 65536);
    const f32 = Float32Array.from({ length: W * H }, (_, i) => (i - 700) / 7.25);
    for (const data of [grey8, u16, f32]) {
      const image = await loadImage(writeTiff(W, H, data));
      expect(image.format).toBe('tiff');
      expect(image.channels).toBe(1);
      expect(image.bitDepth).toBe(data instanceof Uint8Array ? 8 : data instanceof Uint16Array ? 16 : 32);
      expect(Array.from(image.luminance)).toEqual(Array.from(data, (v) => Math.fround(v)));
    }
  });

  it('reads JPEG, WebP and GIF', async () => {
    for (const [fmt, encode] of [['jpeg', (s: Sharp) => s.jpeg()], ['webp', (s: Sharp) => s.webp()], ['gif', (s: Sharp) => s.gif()]] as const) {
      const bytes = await encode(sharp(rgb8, { raw: { width: W, height: H, channels: 3 } })).toBuffer();
      const image = await loadImage(bytes);
      expect(image.format).toBe(fmt);
      expect(image.width).toBe(W);
      expect(image.height).toBe(H);
    }
  });

  it('masks transparent pixels', async () => {
    const rgba = new Uint8Array(W * H * 4).fill(200);
    for (let i = 0; i < W * H; i += 2) rgba[i * 4 + 3] = 0;
    const png = await sharp(rgba, { raw: { width: W, height: H, channels: 4 } }).png().toBuffer();
    const image = await loadImage(png);
    expect(Number.isNaN(image.luminance[0])).toBe(true);
    expect(image.luminance[1]).toBe(200);
  });
});

describe.each(['native', 'js'] as const)('FITS through the %s reader', (backend) => {
  const load = (input: Parameters<typeof loadImage>[0], maxPixels?: number) => withBackend(backend, () => loadImage(input, { maxPixels }));

  it('reads every BITPIX with BZERO/BSCALE and BLANK', async () => {
    const values = Float32Array.from({ length: W * H }, (_, i) => (i % 100) - 50);
    const f32 = await load(writeFits(W, H, values));
    expect(f32.bitDepth).toBe(32);
    expect(Array.from(f32.luminance)).toEqual(Array.from(values));
    const f64 = await load(writeFits(W, H, Float64Array.from(values)));
    expect(f64.pixels).toBeInstanceOf(Float64Array);
    expect(f64.luminance[17]).toBe(values[17]);
    const u16 = Int16Array.from({ length: W * H }, (_, i) => i - 32768);
    const unsigned = await load(writeFits(W, H, u16, { bzero: 32768 }));
    expect(unsigned.luminance[0]).toBe(0);
    expect(unsigned.luminance[1000]).toBe(1000);
    const scaled = await load(writeFits(W, H, Int32Array.from(values), { bscale: 0.5, bzero: 10, blank: -50 }));
    expect(Number.isNaN(scaled.luminance[0])).toBe(true);
    expect(scaled.luminance[1]).toBe(10 + 0.5 * -49);
    const bytes8 = await load(writeFits(W, H, grey8));
    expect(bytes8.luminance[9]).toBe(grey8[9]);
    expect(bytes8.header?.find((c) => c.keyword === 'NAXIS1')?.value).toBe(W);
  });

  it('takes the first plane of a cube and the first image extension', async () => {
    const cube = Float32Array.from({ length: W * H * 3 }, (_, i) => Math.floor(i / (W * H)));
    const first = await load(writeFits(W, H, cube, { extraAxes: [3] }));
    expect(first.luminance.every((v) => v === 0)).toBe(true);
    const ext = await load(writeFits(W, H, Float32Array.from(grey8), { asExtension: true, extraCards: [['OBJECT', "M 31's core"]] }));
    expect(ext.luminance[3]).toBe(grey8[3]);
    expect(ext.header?.find((c) => c.keyword === 'OBJECT')?.value).toBe("M 31's core");
  });

  it('refuses bad FITS with the right code', async () => {
    const good = writeFits(W, H, Float32Array.from(grey8));
    const text = new TextDecoder().decode(good.subarray(0, 2880));
    const edit = (from: RegExp, to: string) => {
      const b = good.slice();
      const t = text.replace(from, (m) => to.padEnd(m.length).slice(0, m.length));
      for (let i = 0; i < 2880; i++) b[i] = t.charCodeAt(i);
      return b;
    };
    expect(await codeOf(load(good.subarray(0, 4000)))).toBe('E_IMAGE_TRUNCATED');
    expect(await codeOf(load(good.subarray(0, 1000)))).toBe('E_IMAGE_TRUNCATED');
    expect(await codeOf(load(edit(/NAXIS1  = +\d+/, 'NAXIS1  =                  -48')))).toBe('E_FITS_HEADER');
    expect(await codeOf(load(edit(/BITPIX  = +-?\d+/, 'BITPIX  =                   12')))).toBe('E_FITS_HEADER');
    expect(await codeOf(load(edit(/NAXIS1  = +\d+/, 'NAXIS1  =        1000000000000')))).toBe('E_IMAGE_TOO_LARGE');
    expect(await codeOf(load(edit(/END {77}/, ' '.repeat(80))))).toMatch(/E_IMAGE_TRUNCATED|E_FITS_HEADER/);
    expect(await codeOf(load(writeFits(W, H, new Float32Array(W * H).fill(NaN))))).toBe('E_IMAGE_EMPTY');
    expect(await codeOf(load(good, 100))).toBe('E_IMAGE_TOO_LARGE');
  });
});

describe('bad input', () => {
  it('gives typed errors for empty, text, random, truncated and missing inputs', async () => {
    expect(await codeOf(loadImage(new Uint8Array(0)))).toBe('E_IMAGE_FORMAT');
    expect(await codeOf(loadImage(new TextEncoder().encode('hello, this is not an image\n'.repeat(20))))).toBe('E_IMAGE_FORMAT');
    const rng = createRng(5);
    expect(await codeOf(loadImage(Uint8Array.from({ length: 5000 }, () => Math.floor(rng.next() * 256))))).toMatch(/E_IMAGE_FORMAT|E_IMAGE_TRUNCATED/);
    const png = await sharp(rgb8, { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
    expect(await codeOf(loadImage(png.subarray(0, png.length / 2)))).toMatch(/E_IMAGE_TRUNCATED|E_IMAGE_FORMAT/);
    const jpeg = await sharp(rgb8, { raw: { width: W, height: H, channels: 3 } }).jpeg().toBuffer();
    expect(await codeOf(loadImage(jpeg.subarray(0, jpeg.length / 2)))).toMatch(/E_IMAGE_TRUNCATED|E_IMAGE_FORMAT/);
    expect(await codeOf(loadImage(join(dir, 'missing.fits')))).toBe('E_IO');
    mkdirSync(join(dir, 'adir'), { recursive: true });
    expect(await codeOf(loadImage(join(dir, 'adir')))).toBe('E_IO');
    const big = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#000' } }).png().toBuffer();
    expect(await codeOf(loadImage(big, { maxPixels: 1_000_000 }))).toBe('E_IMAGE_TOO_LARGE');
  });

  it('reads a file by path', async () => {
    const path = join(dir, 'grey.png');
    writeFileSync(path, await sharp(grey8, { raw: { width: W, height: H, channels: 1 } }).png().toBuffer());
    expect((await loadImage(path)).width).toBe(W);
  });

  it.skipIf(!nativeAddon())('native and TypeScript FITS readers agree on 500 mutated files', async () => {
    const addon = nativeAddon()!;
    const good = writeFits(W, H, Int16Array.from(grey8), { bzero: 100, blank: 7 });
    const rng = createRng(99);
    for (let t = 0; t < 500; t++) {
      let b = good.slice();
      const kind = t % 3;
      if (kind === 0) b = b.subarray(0, Math.floor(rng.next() * b.length));
      else for (let k = 0; k < 1 + (t % 5); k++) b[Math.floor(rng.next() * 2880)] ^= 1 << Math.floor(rng.next() * 8);
      if (kind === 2) b[Math.floor(rng.next() * 400)] = 0x30 + Math.floor(rng.next() * 10);
      const outcome = (fn: () => unknown) => {
        try {
          const r = fn() as { width: number; pixels: Float32Array };
          return `ok ${r.width} ${r.pixels.length}`;
        } catch (e) {
          expect((e as { code?: string }).code).toMatch(/^E_/);
          return (e as { code: string }).code;
        }
      };
      expect(outcome(() => addon.fitsReadSync(b, 1e9))).toBe(outcome(() => decodeFitsJs(b, 1e9)));
    }
  });
});
