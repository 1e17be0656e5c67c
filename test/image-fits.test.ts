/**
 * The FITS readers: native (native/fits) and TypeScript (lib/image/fits.js.ts) on the same
 * generated files, which must decode the same way, and fail the same way on hostile input.
 */
import { describe, expect, it } from 'vitest';
import { AsterismError } from '../lib/errors.js';
import { formatFitsCard, writeFits, type FitsHeaderCard, type WriteFitsOptions, type FitsWriteData } from '../lib/image/fits-write.js';
import { decodeFitsJs } from '../lib/image/fits.js.js';
import { decodeFits, isFits, parseFitsValue } from '../lib/image/fits.js';
import { nativeAddon, type NativeFitsResult } from '../lib/native/addon.js';
import { createRng } from '../scripts/synth/random.js';

const native = nativeAddon();
const W = 37;
const H = 23;
const LIMIT = 1e8;

type Outcome = { ok: true; result: NativeFitsResult } | { ok: false; code: string; message: string };

function outcome(run: () => NativeFitsResult): Outcome {
  try {
    return { ok: true, result: run() };
  } catch (e) {
    if (!(e instanceof AsterismError) && !(e instanceof Error && typeof (e as { code?: unknown }).code === 'string')) throw e;
    return { ok: false, code: (e as AsterismError).code, message: (e as Error).message };
  }
}

async function nativeOutcome(bytes: Uint8Array, maxPixels = LIMIT): Promise<Outcome> {
  try {
    return { ok: true, result: await native!.fitsRead(bytes, maxPixels) };
  } catch (e) {
    return { ok: false, code: (e as AsterismError).code, message: (e as Error).message };
  }
}

/** Both outcomes equal: same fields, same cards, pixels identical (NaN matching NaN). */
function expectSameOutcome(a: Outcome, b: Outcome): void {
  expect(a.ok).toBe(b.ok);
  if (!a.ok || !b.ok) {
    expect(a).toEqual(b);
    return;
  }
  const { pixels: pa, ...ra } = a.result;
  const { pixels: pb, ...rb } = b.result;
  expect(ra).toEqual(rb);
  expect(pa.constructor).toBe(pb.constructor);
  expect(pa.length).toBe(pb.length);
  for (let i = 0; i < pa.length; i++) {
    if (!Object.is(pa[i], pb[i]) && !(Number.isNaN(pa[i]) && Number.isNaN(pb[i]))) {
      throw new Error(`pixel ${i} differs: ${pa[i]} vs ${pb[i]}`);
    }
  }
}

/** Decodes with the TS twin, compares with native when the addon is built, returns the TS result. */
async function readBoth(bytes: Uint8Array, maxPixels = LIMIT): Promise<NativeFitsResult> {
  const js = outcome(() => decodeFitsJs(bytes, maxPixels));
  if (native) {
    expectSameOutcome(js, await nativeOutcome(bytes, maxPixels));
    expectSameOutcome(js, outcome(() => native.fitsReadSync(bytes, maxPixels)));
  }
  if (!js.ok) throw new AsterismError(js.code as AsterismError['code'], js.message);
  return js.result;
}

/** The code both readers fail with (and they must agree on it and on the message). */
async function failure(bytes: Uint8Array, maxPixels = LIMIT): Promise<{ code: string; message: string }> {
  const js = outcome(() => decodeFitsJs(bytes, maxPixels));
  if (native) expectSameOutcome(js, await nativeOutcome(bytes, maxPixels));
  if (js.ok) throw new Error('expected the FITS readers to fail');
  return { code: js.code, message: js.message };
}

function integers(n: number, lo: number, hi: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Math.floor(rng.uniform(lo, hi + 1)));
}

function floats(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => 1000 + 50 * rng.normal());
}

/** A raw header (cards, optional END) padded to whole blocks, then `data` bytes. */
function rawFits(cards: string[], options: { end?: boolean; data?: Uint8Array } = {}): Uint8Array {
  const text = [...cards, ...(options.end === false ? [] : ['END'])].map((c) => c.padEnd(80, ' ')).join('');
  const headerLength = Math.ceil(text.length / 2880) * 2880;
  const data = options.data ?? new Uint8Array(0);
  const out = new Uint8Array(headerLength + data.length).fill(0x20, 0, headerLength);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  out.set(data, headerLength);
  return out;
}

function imageCards(bitpix: number | string, axes: Array<number | string>, extra: string[] = []): string[] {
  return [
    formatFitsCard('SIMPLE', true),
    typeof bitpix === 'number' ? formatFitsCard('BITPIX', bitpix) : `BITPIX  = ${bitpix}`,
    formatFitsCard('NAXIS', axes.length),
    ...axes.map((n, i) => (typeof n === 'number' ? formatFitsCard(`NAXIS${i + 1}`, n) : `NAXIS${i + 1}  = ${n}`)),
    ...extra,
  ];
}

const cases: Array<{ name: string; data: FitsWriteData; options: WriteFitsOptions & { bitpix: number }; expected: (i: number) => number }> = [];
{
  const u8 = integers(W * H, 0, 255, 1);
  cases.push({ name: 'BITPIX 8', data: Uint8Array.from(u8), options: { bitpix: 8 }, expected: (i) => u8[i] });
  const i16 = integers(W * H, -32768, 32767, 2);
  cases.push({ name: 'BITPIX 16', data: Int16Array.from(i16), options: { bitpix: 16 }, expected: (i) => i16[i] });
  const i32 = integers(W * H, -2147483648, 2147483647, 3);
  cases.push({ name: 'BITPIX 32', data: Int32Array.from(i32), options: { bitpix: 32 }, expected: (i) => Math.fround(i32[i]) });
  const i64 = integers(W * H, -(2 ** 52), 2 ** 52, 4);
  cases.push({ name: 'BITPIX 64', data: Float64Array.from(i64), options: { bitpix: 64 }, expected: (i) => Math.fround(i64[i]) });
  const f32 = floats(W * H, 5).map(Math.fround);
  cases.push({ name: 'BITPIX -32', data: Float32Array.from(f32), options: { bitpix: -32 }, expected: (i) => f32[i] });
  const f64 = floats(W * H, 6);
  cases.push({ name: 'BITPIX -64', data: Float64Array.from(f64), options: { bitpix: -64 }, expected: (i) => f64[i] });
  cases.push({
    name: 'unsigned 16-bit via BZERO 32768', data: Int16Array.from(i16), options: { bitpix: 16, bzero: 32768 },
    expected: (i) => i16[i] + 32768,
  });
  cases.push({
    name: 'BSCALE and BZERO on 32-bit', data: Int32Array.from(i32), options: { bitpix: 32, bzero: -1.5, bscale: 0.25 },
    expected: (i) => Math.fround(-1.5 + 0.25 * i32[i]),
  });
  cases.push({
    name: 'BSCALE on float32', data: Float32Array.from(f32), options: { bitpix: -32, bzero: 10, bscale: 3 },
    expected: (i) => Math.fround(10 + 3 * f32[i]),
  });
  cases.push({
    name: 'BSCALE on float64', data: Float64Array.from(f64), options: { bitpix: -64, bscale: 1e-3 },
    expected: (i) => 1e-3 * f64[i],
  });
  const withBlank = i16.map((v, i) => (i % 7 === 0 ? -32768 : v === -32768 ? 0 : v));
  cases.push({
    name: 'BLANK becomes NaN', data: Int16Array.from(withBlank), options: { bitpix: 16, blank: -32768, bzero: 100 },
    expected: (i) => (i % 7 === 0 ? NaN : withBlank[i] + 100),
  });
  const withNaN = f32.map((v, i) => (i % 5 === 0 ? NaN : v));
  cases.push({ name: 'NaN float32 stays NaN', data: Float32Array.from(withNaN), options: { bitpix: -32 }, expected: (i) => withNaN[i] });
  const nan64 = f64.map((v, i) => (i % 3 === 0 ? NaN : v));
  cases.push({ name: 'NaN float64 stays NaN', data: Float64Array.from(nan64), options: { bitpix: -64 }, expected: (i) => nan64[i] });
}

describe('FITS readers (TypeScript twin and native addon agree)', () => {
  for (const c of cases) {
    it(`decodes ${c.name}`, async () => {
      const bytes = writeFits(W, H, c.data, c.options);
      const result = await readBoth(bytes);
      expect(result.width).toBe(W);
      expect(result.height).toBe(H);
      expect(result.bitpix).toBe(c.options.bitpix);
      expect(result.hdu).toBe(0);
      expect(result.pixels).toBeInstanceOf(c.options.bitpix === -64 ? Float64Array : Float32Array);
      for (let i = 0; i < W * H; i++) {
        const want = c.expected(i);
        if (Number.isNaN(want)) expect(result.pixels[i]).toBeNaN();
        else if (result.pixels[i] !== want) throw new Error(`pixel ${i}: ${result.pixels[i]} !== ${want}`);
      }
    });
  }

  it('takes the first plane of a cube', async () => {
    const planes = integers(W * H * 3, -1000, 1000, 7);
    const result = await readBoth(writeFits(W, H, Int16Array.from(planes), { bitpix: 16, extraAxes: [3] }));
    expect(Array.from(result.pixels)).toEqual(planes.slice(0, W * H));
  });

  it('decodes a cube whose later planes are cut off', async () => {
    const bytes = writeFits(W, H, new Float32Array(W * H * 4).fill(2), { bitpix: -32, extraAxes: [4] });
    const result = await readBoth(bytes.subarray(0, 2880 + W * H * 4 + 10));
    expect(result.pixels.every((v) => v === 2)).toBe(true);
  });

  it('finds the image in the first extension behind an empty primary HDU', async () => {
    const values = floats(W * H, 8);
    const result = await readBoth(writeFits(W, H, Float32Array.from(values), { bitpix: -32, asExtension: true, extraCards: [['OBJECT', 'M 51']] }));
    expect(result.hdu).toBe(1);
    expect(result.cards[0]).toEqual(['XTENSION', "'IMAGE'", 'image extension']);
    expect(result.cards.find((c) => c[0] === 'OBJECT')).toEqual(['OBJECT', "'M 51'", '']);
    expect(result.pixels[5]).toBe(Math.fround(values[5]));
  });

  it('skips a binary table and a 1-D primary before the image', async () => {
    const table = rawFits([
      "XTENSION= 'BINTABLE'", formatFitsCard('BITPIX', 8), formatFitsCard('NAXIS', 2), formatFitsCard('NAXIS1', 12),
      formatFitsCard('NAXIS2', 300), formatFitsCard('PCOUNT', 17), formatFitsCard('GCOUNT', 1), formatFitsCard('TFIELDS', 0),
    ], { data: new Uint8Array(Math.ceil((12 * 300 + 17) / 2880) * 2880).fill(7) });
    const primary = rawFits([...imageCards(16, [10]), formatFitsCard('EXTEND', true)], { data: new Uint8Array(2880) });
    const image = writeFits(W, H, Int16Array.from(integers(W * H, 0, 100, 9)), { bitpix: 16, asExtension: true }).subarray(2880);
    const bytes = new Uint8Array([...primary, ...table, ...image]);
    const result = await readBoth(bytes);
    expect(result.hdu).toBe(2);
    expect(result.width).toBe(W);
  });

  it('reads card values, comments and commentary cards', async () => {
    const extra: FitsHeaderCard[] = [
      ['OBJECT', "O'Brien's galaxy", 'name'],
      ['EXPTIME', 30.5, 'seconds'],
      ['FLAG', false],
      ['HISTORY', null, 'made by the asterism tests'],
      ['COMMENT', null, 'a comment / with a slash'],
    ];
    const bytes = writeFits(4, 3, new Uint8Array(12), { bitpix: 8, extraCards: extra });
    const withRaw = rawFits([
      ...imageCards(8, [4, 3]),
      'GAIN    =               1.5D+0 / Fortran exponent',
      "EMPTYSTR= '' / empty",
      'NOVALUE =',
      "CONTINUE  'more text' / continued",
    ], { data: new Uint8Array(2880) });
    const raw = await readBoth(bytes);
    expect(raw.cards.slice(-5)).toEqual([
      ['OBJECT', "'O''Brien''s galaxy'", 'name'],
      ['EXPTIME', '30.5', 'seconds'],
      ['FLAG', 'F', ''],
      ['HISTORY', '', 'made by the asterism tests'],
      ['COMMENT', '', 'a comment / with a slash'],
    ]);
    const image = await decodeFits(bytes, { maxPixels: LIMIT });
    expect(image.header?.slice(-5).map((c) => c.value)).toEqual(["O'Brien's galaxy", 30.5, false, null, null]);
    const other = await readBoth(withRaw);
    expect(other.cards.slice(-4)).toEqual([
      ['GAIN', '1.5D+0', 'Fortran exponent'],
      ['EMPTYSTR', "''", 'empty'],
      ['NOVALUE', '', ''],
      ['CONTINUE', "'more text'", 'continued'],
    ]);
    expect(other.cards.slice(-4).map((c) => parseFitsValue(c[1]))).toEqual([1.5, '', null, 'more text']);
    expect(parseFitsValue("'42'")).toBe('42');
    expect(parseFitsValue('42')).toBe(42);
    expect(parseFitsValue('(1.0, 2.0)')).toBe('(1.0, 2.0)');
  });

  it('decodeFits builds an Image with physical values', async () => {
    for (const backend of ['native', 'js'] as const) {
      if (backend === 'native' && !native) continue;
      process.env.ASTERISM_FORCE_JS = backend === 'js' ? '1' : '';
      try {
        const stored = Int16Array.from(integers(W * H, -32768, 32767, 10));
        const image = await decodeFits(writeFits(W, H, stored, { bitpix: 16, bzero: 32768 }), { maxPixels: LIMIT });
        expect(image).toMatchObject({ width: W, height: H, channels: 1, bitDepth: 16, format: 'fits' });
        expect(image.luminance).toBe(image.pixels);
        expect(image.luminance[3]).toBe(stored[3] + 32768);
        const wide = await decodeFits(writeFits(W, H, Float64Array.from(floats(W * H, 11)), { bitpix: -64 }), { maxPixels: LIMIT });
        expect(wide.pixels).toBeInstanceOf(Float64Array);
        expect(wide.luminance).toBeInstanceOf(Float32Array);
        expect(wide.luminance[7]).toBe(Math.fround(wide.pixels[7]));
        expect(wide.bitDepth).toBe(64);
      } finally {
        delete process.env.ASTERISM_FORCE_JS;
      }
    }
  });

  it('sniffs the FITS magic', () => {
    expect(isFits(writeFits(2, 2, new Uint8Array(4), { bitpix: 8 }))).toBe(true);
    expect(isFits(new TextEncoder().encode('SIMPLE '))).toBe(false);
    expect(isFits(new TextEncoder().encode('hello world, not FITS'))).toBe(false);
  });
});

describe('FITS readers refuse bad input with the right code', () => {
  const pixels = (n: number) => new Uint8Array(n * 2);

  it('not FITS: wrong magic, SIMPLE = F, empty', async () => {
    expect((await failure(new Uint8Array(0))).code).toBe('E_IMAGE_FORMAT');
    expect((await failure(new TextEncoder().encode('SIMPLE = T but not really'))).code).toBe('E_IMAGE_FORMAT');
    const simpleF = rawFits([formatFitsCard('SIMPLE', false), ...imageCards(16, [4, 4]).slice(1)], { data: pixels(16) });
    expect(await failure(simpleF)).toEqual({ code: 'E_IMAGE_FORMAT', message: "not a standard FITS file: SIMPLE = 'F' (expected T)" });
  });

  it('negative, non-integer and string axes', async () => {
    expect(await failure(rawFits(imageCards(16, [-5, 4])))).toEqual({ code: 'E_FITS_HEADER', message: 'FITS header of HDU 0: NAXIS1 = -5 is negative' });
    expect((await failure(rawFits(imageCards(16, [4, '2.5'])))).message).toContain("NAXIS2 = '2.5' is not an integer");
    expect((await failure(rawFits(imageCards(16, [4, "'4'"])))).message).toContain("NAXIS2 = '4' is not an integer");
    expect((await failure(rawFits(imageCards(16, [4, '99999999999999999999'])))).message).toContain('out of range');
  });

  it('a missing mandatory keyword is named', async () => {
    const cards = imageCards(16, [4, 4]).filter((c) => !c.startsWith('NAXIS2'));
    expect(await failure(rawFits(cards))).toEqual({ code: 'E_FITS_HEADER', message: 'FITS header of HDU 0 is missing the required keyword NAXIS2' });
    const noBitpix = imageCards(16, [4, 4]).filter((c) => !c.startsWith('BITPIX'));
    expect((await failure(rawFits(noBitpix))).message).toContain('BITPIX');
  });

  it('unknown BITPIX, NAXIS above 999, non-numeric BZERO', async () => {
    expect(await failure(rawFits(imageCards(12, [4, 4]), { data: pixels(16) }))).toEqual({
      code: 'E_FITS_HEADER', message: 'FITS header of HDU 0: BITPIX = 12 is not one of 8, 16, 32, 64, -32, -64',
    });
    expect((await failure(rawFits([formatFitsCard('SIMPLE', true), formatFitsCard('BITPIX', 8), formatFitsCard('NAXIS', 1000)]))).message)
      .toContain('NAXIS = 1000 is outside 0..999');
    const bzero = await failure(rawFits(imageCards(16, [4, 4], ['BZERO   = lots']), { data: pixels(16) }));
    expect(bzero).toEqual({ code: 'E_FITS_HEADER', message: "FITS header of HDU 0: BZERO = 'lots' is not a number" });
    expect((await failure(rawFits(imageCards(16, [4, 4], ['BSCALE  = 1E999']), { data: pixels(16) }))).message).toContain('BSCALE');
    expect((await failure(rawFits(imageCards(16, [4, 4], ['BLANK   = 1.5']), { data: pixels(16) }))).message).toContain('BLANK');
  });

  it('refuses a 10^12 × 10^12 image at once, without allocating', async () => {
    const bytes = rawFits(imageCards(-64, [1e12, 1e12]));
    const started = performance.now();
    const { code, message } = await failure(bytes);
    expect(code).toBe('E_IMAGE_TOO_LARGE');
    expect(message).toContain('1000000000000x1000000000000');
    expect(performance.now() - started).toBeLessThan(1000);
    // The same in a skipped HDU: the data-unit size is refused before any offset is computed.
    const skipped = rawFits(imageCards(-64, [9e18]));
    expect((await failure(skipped)).code).toBe('E_FITS_HEADER');
  });

  it('enforces the pixel limit', async () => {
    const bytes = writeFits(W, H, new Uint8Array(W * H), { bitpix: 8 });
    expect(await failure(bytes, W * H - 1)).toEqual({ code: 'E_IMAGE_TOO_LARGE', message: `FITS image in HDU 0 is ${W}x${H} pixels, more than the limit of ${W * H - 1}` });
    expect((await readBoth(bytes, W * H)).width).toBe(W);
  });

  it('missing END: binary data where cards should be, or the file ends in the header', async () => {
    const data = Uint8Array.from(integers(2880, 0, 255, 12));
    const binary = rawFits(imageCards(8, [40, 40]), { end: false, data });
    expect(await failure(binary)).toEqual({ code: 'E_FITS_HEADER', message: 'FITS header of HDU 0: card 37 holds control bytes, not text (is the END card missing?)' });
    const textOnly = rawFits(imageCards(8, [40, 40]), { end: false });
    expect((await failure(textOnly)).code).toBe('E_IMAGE_TRUNCATED');
    const endless = rawFits(Array.from({ length: 40000 }, (_, i) => formatFitsCard('HISTORY', undefined, `line ${i}`)).map((c, i) => (i === 0 ? formatFitsCard('SIMPLE', true) : c)), { end: false });
    expect((await failure(endless)).message).toBe('FITS header of HDU 0 has no END card within 36000 cards');
  });

  it('truncated data says how many bytes were expected and present', async () => {
    const bytes = writeFits(W, H, new Int16Array(W * H), { bitpix: 16 });
    expect(await failure(bytes.subarray(0, 2880 + 100))).toEqual({
      code: 'E_IMAGE_TRUNCATED', message: `FITS file is truncated: the image in HDU 0 needs ${W * H * 2} bytes of data, only 100 are present`,
    });
    expect((await failure(bytes.subarray(0, 1000))).code).toBe('E_IMAGE_TRUNCATED');
    const ext = writeFits(W, H, new Int16Array(W * H), { bitpix: 16, asExtension: true });
    expect((await failure(ext.subarray(0, 2880 + 500))).code).toBe('E_IMAGE_TRUNCATED');
  });

  it('no image: NAXIS = 0 everywhere, zero-sized axes, tile-compressed images', async () => {
    const empty = rawFits([formatFitsCard('SIMPLE', true), formatFitsCard('BITPIX', 8), formatFitsCard('NAXIS', 0)]);
    expect(await failure(empty)).toEqual({ code: 'E_IMAGE_EMPTY', message: 'FITS file has no image: no HDU has NAXIS >= 2 with non-zero axes' });
    expect((await failure(rawFits(imageCards(16, [0, 10])))).code).toBe('E_IMAGE_EMPTY');
    const fpacked = new Uint8Array([
      ...rawFits([formatFitsCard('SIMPLE', true), formatFitsCard('BITPIX', 8), formatFitsCard('NAXIS', 0), formatFitsCard('EXTEND', true)]),
      ...rawFits([
        "XTENSION= 'BINTABLE'", formatFitsCard('BITPIX', 8), formatFitsCard('NAXIS', 2), formatFitsCard('NAXIS1', 8),
        formatFitsCard('NAXIS2', 10), formatFitsCard('PCOUNT', 0), formatFitsCard('GCOUNT', 1), formatFitsCard('ZIMAGE', true),
      ], { data: new Uint8Array(2880) }),
    ]);
    const { code, message } = await failure(fpacked);
    expect(code).toBe('E_IMAGE_EMPTY');
    expect(message).toContain('funpack');
  });

  it('rejects bad maxPixels as an invalid argument', async () => {
    const bytes = writeFits(2, 2, new Uint8Array(4), { bitpix: 8 });
    expect(() => decodeFitsJs(bytes, 0)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
    if (native) expect(() => native.fitsReadSync(bytes, Number.NaN)).toThrow(expect.objectContaining({ code: 'E_INVALID_ARGUMENT' }));
  });

  it('survives 500 random mutations, and both readers agree on each', async () => {
    const rng = createRng(20240607);
    const bases = [
      writeFits(16, 9, Int16Array.from(integers(144, -500, 500, 13)), {
        bitpix: 16, bzero: 32768, bscale: 2, blank: -500, extraCards: [['OBJECT', 'fuzz'], ['EXPTIME', 12.5]],
      }),
      writeFits(8, 8, Float32Array.from(floats(64, 14)), { bitpix: -32, asExtension: true }),
    ];
    const codes = new Map<string, number>();
    for (let trial = 0; trial < 500; trial++) {
      const base = bases[trial % bases.length];
      const bytes = base.slice();
      let input: Uint8Array = bytes;
      const kind = rng.next();
      if (kind < 0.7) {
        // Flip 1–4 bits, mostly in the header where the parsing is.
        const flips = 1 + Math.floor(rng.next() * 4);
        for (let f = 0; f < flips; f++) {
          const inHeader = rng.next() < 0.85;
          const headerEnd = base.length - 2880;
          const at = Math.floor(inHeader ? rng.next() * headerEnd : headerEnd + rng.next() * 2880);
          bytes[at] ^= 1 << Math.floor(rng.next() * 8);
        }
      } else if (kind < 0.9) {
        input = bytes.subarray(0, Math.floor(rng.next() * bytes.length));
      } else {
        // Overwrite a digit of a number in the header with another printable character.
        const at = Math.floor(rng.next() * (base.length - 2880));
        bytes[at] = 0x20 + Math.floor(rng.next() * 95);
      }
      const js = outcome(() => decodeFitsJs(input, 10_000));
      if (native) {
        const viaSync = outcome(() => native.fitsReadSync(input, 10_000));
        expectSameOutcome(js, viaSync);
        if (trial % 10 === 0) expectSameOutcome(js, await nativeOutcome(input, 10_000));
      }
      const key = js.ok ? 'ok' : js.code;
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    // The mutations exercise both success and several failure paths.
    expect(codes.get('ok') ?? 0).toBeGreaterThan(20);
    expect(codes.size).toBeGreaterThanOrEqual(4);
  });
});
