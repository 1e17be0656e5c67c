#!/usr/bin/env node
// Writes the seed corpus of the native fuzz targets (native/fuzz/fuzz_fits.cpp,
// native/fuzz/fuzz_detect.cpp and native/fuzz/fuzz_verify.cpp) into
// native/fuzz/corpus/{fits,detect,verify}/. The files are committed;
// rerun this after changing a target's input format:
//
//   node scripts/native/make-fuzz-corpus.mjs
//
// Everything is generated from fixed seeds, so the output is the same on every run. Crash
// reproducers added by hand (crash-*) are left alone.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpusDir = join(root, 'native', 'fuzz', 'corpus');

// mulberry32: small, seeded, identical everywhere.
function rng(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => {
    let u = 0;
    while (u === 0) u = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
  return { next, normal };
}

// A width x height sky: background + Gaussian noise + a few point-sampled Gaussian stars.
function starField(width, height, seed, { sky = 100, noise = 5, stars = 3, peak = 400, sigma = 1.3 } = {}) {
  const r = rng(seed);
  const out = new Float64Array(width * height);
  const centres = [];
  for (let i = 0; i < stars; i++) {
    centres.push([2 + r.next() * (width - 4), 2 + r.next() * (height - 4), peak * (0.3 + r.next())]);
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = sky + noise * r.normal();
      for (const [cx, cy, a] of centres) {
        v += a * Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sigma * sigma));
      }
      out[y * width + x] = v;
    }
  }
  return out;
}

// ---- FITS ----------------------------------------------------------------------------------

const BLOCK = 2880;

function card(keyword, value, comment) {
  let text = keyword.padEnd(8, ' ');
  // Fixed format: strings start in column 11, other values end in column 30.
  if (value !== undefined) {
    const v = String(value);
    text += `= ${v.startsWith("'") ? v.padEnd(20, ' ') : v.padStart(20, ' ')}`;
  }
  if (comment !== undefined) text += ` / ${comment}`;
  return text.slice(0, 80).padEnd(80, ' ');
}

function str(s) {
  return `'${s.replaceAll("'", "''").padEnd(8, ' ')}'`;
}

function header(cards) {
  const text = [...cards, card('END')].join('');
  const bytes = Buffer.alloc(Math.ceil(text.length / BLOCK) * BLOCK, ' ');
  bytes.write(text, 'latin1');
  return bytes;
}

// Big-endian pixel data for `bitpix`, padded to whole blocks unless `pad` is false.
function data(bitpix, values, pad = true) {
  const size = (Math.abs(bitpix) / 8) * values.length;
  const buf = Buffer.alloc(pad ? Math.ceil(size / BLOCK) * BLOCK : size);
  values.forEach((v, i) => {
    switch (bitpix) {
      case 8: buf.writeUInt8(v, i); break;
      case 16: buf.writeInt16BE(v, 2 * i); break;
      case 32: buf.writeInt32BE(v, 4 * i); break;
      case 64: buf.writeBigInt64BE(BigInt(v), 8 * i); break;
      case -32: buf.writeFloatBE(v, 4 * i); break;
      case -64: buf.writeDoubleBE(v, 8 * i); break;
      default: throw new Error(`bitpix ${bitpix}`);
    }
  });
  return buf;
}

function primary(bitpix, axes, extra = []) {
  return [
    card('SIMPLE', 'T', 'conforms to FITS standard'),
    card('BITPIX', bitpix),
    card('NAXIS', axes.length),
    ...axes.map((n, i) => card(`NAXIS${i + 1}`, n)),
    ...extra,
  ];
}

function imageFile(bitpix, width, height, values, extra = []) {
  return Buffer.concat([header(primary(bitpix, [width, height], extra)), data(bitpix, values)]);
}

const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, Math.round(v)));

function fitsSeeds() {
  const seeds = {};
  const sky8 = starField(12, 10, 1, { sky: 40, noise: 3, peak: 150, stars: 2 });
  seeds['bitpix8.fits'] = imageFile(8, 12, 10, [...sky8].map((v) => clamp(v, 0, 255)));

  const sky16 = starField(16, 16, 2, { sky: 1000, noise: 20, peak: 20000 });
  const stored16 = [...sky16].map((v) => clamp(v - 32768, -32768, 32767));
  stored16[5] = -32768;
  seeds['bitpix16-unsigned-blank.fits'] = imageFile(16, 16, 16, stored16, [
    card('BZERO', '32768.0'),
    card('BSCALE', '1.0'),
    card('BLANK', -32768, 'undefined pixels'),
  ]);

  const sky32 = starField(10, 8, 3, { sky: 5000, noise: 50, peak: 1e5 });
  seeds['bitpix32-scaled.fits'] = imageFile(32, 10, 8, [...sky32].map((v) => clamp(v * 4, -2e9, 2e9)), [
    card('BSCALE', '2.5D-1'),
    card('BZERO', '-1.0E+01'),
  ]);

  const sky64 = starField(6, 5, 4, { stars: 1 });
  const big = [...sky64].map((v) => Math.round(v) * 1000003);
  big[0] = '-9223372036854775808';
  seeds['bitpix64.fits'] = imageFile(64, 6, 5, big);

  const skyF = [...starField(24, 20, 5, { sky: 0.1, noise: 0.01, peak: 2 })];
  skyF[7] = NaN;
  skyF[100] = Infinity;
  seeds['bitpix-32-nan.fits'] = imageFile(-32, 24, 20, skyF, [
    card('OBJECT', str("NGC 891 'edge-on'"), 'a quoted string with an escaped quote'),
    card('EXPTIME', '3.0E+02', 'seconds'),
    card('DATE-OBS', str('2024-01-01T00:00:00')),
    'HISTORY made by scripts/native/make-fuzz-corpus.mjs'.padEnd(80, ' '),
    'COMMENT   a commentary card'.padEnd(80, ' '),
    card('CONTINUE', str('more&')),
  ]);

  seeds['bitpix-64.fits'] = imageFile(-64, 8, 4, [...starField(8, 4, 6, { stars: 1 })], [
    card('BSCALE', '1.0'),
    card('BZERO', '0.0'),
  ]);

  // Empty primary, a binary table to skip, then the image extension.
  seeds['extension.fits'] = Buffer.concat([
    header(primary(8, [], [card('EXTEND', 'T')])),
    header([
      card('XTENSION', str('BINTABLE')),
      card('BITPIX', 8),
      card('NAXIS', 2),
      card('NAXIS1', 4),
      card('NAXIS2', 3),
      card('PCOUNT', 0),
      card('GCOUNT', 1),
      card('TFIELDS', 1),
      card('TFORM1', str('1J')),
    ]),
    data(8, Array.from({ length: 12 }, (_, i) => i)),
    header([
      card('XTENSION', str('IMAGE')),
      card('BITPIX', 16),
      card('NAXIS', 2),
      card('NAXIS1', 9),
      card('NAXIS2', 7),
      card('PCOUNT', 0),
      card('GCOUNT', 1),
    ]),
    data(16, [...starField(9, 7, 7, { stars: 1 })].map((v) => clamp(v, -32768, 32767))),
  ]);

  seeds['cube.fits'] = Buffer.concat([
    header(primary(16, [5, 4, 3])),
    data(16, Array.from({ length: 60 }, (_, i) => (i * 37) % 500)),
  ]);

  // An fpack-style tile-compressed image, which the reader refuses with a message.
  seeds['compressed.fits'] = Buffer.concat([
    header(primary(8, [], [card('EXTEND', 'T')])),
    header([
      card('XTENSION', str('BINTABLE')),
      card('BITPIX', 8),
      card('NAXIS', 2),
      card('NAXIS1', 8),
      card('NAXIS2', 1),
      card('PCOUNT', 16),
      card('GCOUNT', 1),
      card('ZIMAGE', 'T'),
      card('ZBITPIX', 16),
      card('ZNAXIS', 2),
    ]),
    data(8, Array.from({ length: 24 }, (_, i) => i)),
  ]);

  const full = imageFile(16, 16, 16, stored16);
  seeds['truncated-data.fits'] = full.subarray(0, BLOCK + 100);
  seeds['truncated-header.fits'] = full.subarray(0, 80 * 4);
  // Pixel data complete but the last block not padded.
  seeds['unpadded.fits'] = Buffer.concat([
    header(primary(8, [7, 3])),
    data(8, Array.from({ length: 21 }, (_, i) => i * 12), false),
  ]);
  return seeds;
}

// ---- detect ----------------------------------------------------------------------------------
// Layout (see native/fuzz/fuzz_detect.cpp): width-1, height-1, encoding, then the parameter
// bytes, then pixels.

function detectHeader(width, height, encoding, {
  box = 16, psf = 1.5, threshold = 5, saddle = 5, hot = 0.15, aperture = 0, maxStars = 0, cancelAfter = 255,
  contrast = 4,
} = {}) {
  return Buffer.from([
    width - 1, height - 1, encoding,
    box + 8, Math.round(psf * 12), Math.round(threshold * 8 + 16), Math.round(saddle * 8 + 16),
    Math.round(hot * 200), Math.round(aperture * 4 + 32), maxStars + 4, cancelAfter,
    Math.round(contrast * 8 + 16),
  ]);
}

function u8(values) {
  return Buffer.from(values.map((v) => clamp(v, 0, 252)));
}

function f32(values) {
  const buf = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => buf.writeFloatLE(v, 4 * i));
  return buf;
}

function i16(values) {
  const buf = Buffer.alloc(2 * values.length);
  values.forEach((v, i) => buf.writeInt16LE(clamp(v, -32768, 32767), 2 * i));
  return buf;
}

function detectSeeds() {
  const seeds = {};
  const field = [...starField(48, 48, 11, { sky: 40, noise: 4, peak: 180, stars: 5 })];
  seeds['starfield-u8.bin'] = Buffer.concat([detectHeader(48, 48, 1), u8(field)]);

  const floats = [...starField(32, 24, 12, { sky: 0.2, noise: 0.01, peak: 1, stars: 4 })];
  for (const i of [3, 40, 41, 42, 300]) floats[i] = NaN;
  seeds['holes-f32.bin'] = Buffer.concat([detectHeader(32, 24, 0, { psf: 1.2, maxStars: 3 }), f32(floats)]);

  // The left half is black padding.
  const padded = [...starField(40, 30, 13, { sky: 800, noise: 15, peak: 5000, stars: 4 })].map((v, i) =>
    (i % 40 < 20 ? 0 : v));
  seeds['padding-i16.bin'] = Buffer.concat([detectHeader(40, 30, 2, { box: 8 }), i16(padded)]);

  // Encoding 3: bytes 253-255 are -inf, +inf and NaN.
  const special = u8(field.slice(0, 36 * 36));
  for (let i = 0; i < special.length; i += 97) special[i] = 253 + (i % 3);
  seeds['special-u8.bin'] = Buffer.concat([detectHeader(36, 36, 3, { hot: 0.5, saddle: 0, contrast: 0 }), special]);

  seeds['saturated-u8.bin'] = Buffer.concat([
    detectHeader(30, 30, 1, { psf: 2.5, aperture: 6 }),
    u8([...starField(30, 30, 14, { sky: 30, noise: 3, peak: 900, stars: 2, sigma: 2.5 })]),
  ]);
  seeds['hot-pixel-u8.bin'] = Buffer.concat([
    detectHeader(20, 20, 1, { threshold: 3 }),
    u8([...starField(20, 20, 15, { sky: 20, noise: 2, stars: 0 })].map((v, i) => (i === 210 ? 250 : v))),
  ]);
  seeds['constant.bin'] = Buffer.concat([detectHeader(20, 20, 1), Buffer.from([77])]);
  seeds['one-pixel.bin'] = Buffer.concat([detectHeader(1, 1, 0), f32([5])]);
  seeds['one-row.bin'] = Buffer.concat([detectHeader(64, 1, 1, { box: 4 }), u8(field.slice(0, 64))]);
  seeds['one-column.bin'] = Buffer.concat([detectHeader(1, 64, 1, { box: 4 }), u8(field.slice(64, 128))]);
  seeds['invalid-params.bin'] = Buffer.concat([detectHeader(16, 16, 1, { box: 2, psf: 0 }), u8(field)]);
  seeds['cancel.bin'] = Buffer.concat([detectHeader(48, 48, 1, { cancelAfter: 2 }), u8(field)]);
  seeds['wide-psf.bin'] = Buffer.concat([detectHeader(40, 40, 1, { psf: 20, aperture: 30, box: 200 }), u8(field)]);
  return seeds;
}

// ---- verify ----------------------------------------------------------------------------------
// Layout (see native/fuzz/fuzz_verify.cpp): n, m, flags, width/8, height/8, variance scale,
// distractor fraction, maxFieldStars, -bail, stop, skip counts, jitter; then the body.

const VERIFY_RAW = 1;
const VERIFY_NO_BAIL = 2;
const VERIFY_STOP = 4;
const VERIFY_COPIES = 8;

function verifyHeader(n, m, flags, {
  width = 100, height = 80, sigma2 = 1, distractor = 0.25, maxStars = 255, bail = 230, stop = 0,
  skipField = 0, skipIndex = 0, jitter = 0.5,
} = {}) {
  const sigmaByte = sigma2 === 0 ? 0 : sigma2 < 0 ? 255 : Math.round(160 + 16 * Math.log10(sigma2));
  return Buffer.from([
    n, m, flags, width, height, sigmaByte, Math.round(distractor * 255), maxStars, bail, stop,
    skipField | (skipIndex << 3), Math.round(jitter * 64),
  ]);
}

function randomBytes(count, seed) {
  const r = rng(seed);
  return Buffer.from(Array.from({ length: count }, () => Math.floor(r.next() * 256)));
}

function f64(values) {
  const buf = Buffer.alloc(8 * values.length);
  values.forEach((v, i) => buf.writeDoubleLE(v, 8 * i));
  return buf;
}

function verifySeeds() {
  const seeds = {};
  // A true hypothesis: index stars copy field stars with sub-pixel jitter.
  seeds['true-hypothesis.bin'] = Buffer.concat([verifyHeader(60, 80, VERIFY_COPIES | VERIFY_NO_BAIL), randomBytes(600, 21)]);
  seeds['unrelated.bin'] = Buffer.concat([verifyHeader(120, 150, 0, { width: 250, height: 200 }), randomBytes(1200, 22)]);
  seeds['skips.bin'] = Buffer.concat([
    verifyHeader(30, 30, VERIFY_COPIES, { skipField: 4, skipIndex: 3, maxStars: 20 }), randomBytes(300, 23),
  ]);
  seeds['stop.bin'] = Buffer.concat([verifyHeader(50, 50, VERIFY_COPIES | VERIFY_STOP, { stop: 40, jitter: 0.1 }), randomBytes(400, 24)]);
  seeds['crowded-conflicts.bin'] = Buffer.concat([
    verifyHeader(100, 20, VERIFY_COPIES, { width: 4, height: 4, sigma2: 300, jitter: 3 }), randomBytes(500, 25),
  ]);
  seeds['tiny-sigma.bin'] = Buffer.concat([verifyHeader(40, 40, VERIFY_COPIES, { sigma2: 1e-9, jitter: 0 }), randomBytes(300, 26)]);
  seeds['wide-sigma.bin'] = Buffer.concat([verifyHeader(40, 40, 0, { sigma2: 1e5 }), randomBytes(300, 27)]);
  seeds['empty-index.bin'] = Buffer.concat([verifyHeader(10, 0, 0), randomBytes(40, 28)]);
  seeds['empty-field.bin'] = Buffer.concat([verifyHeader(0, 10, 0), randomBytes(40, 29)]);
  // Raw doubles: NaN, infinities, subnormals, huge and negative values.
  seeds['raw-special.bin'] = Buffer.concat([
    verifyHeader(3, 3, VERIFY_RAW),
    f64([1, 2, NaN, 4, 5, Infinity, 1, 2, 1e300, -1e300, 5e-324, 6, 2, -1, 0.5]),
  ]);
  seeds['raw-finite.bin'] = Buffer.concat([
    verifyHeader(3, 2, VERIFY_RAW, { width: 10, height: 10 }),
    f64([10, 10, 40, 41, -1e6, 3, 10.5, 10, 1, 40, 40, 4]),
  ]);
  seeds['invalid-image.bin'] = Buffer.concat([verifyHeader(5, 5, 0, { width: 0 }), randomBytes(60, 30)]);
  seeds['area-overflow.bin'] = Buffer.concat([verifyHeader(5, 5, 0, { width: 254, height: 254 }), randomBytes(60, 31)]);
  seeds['bad-distractor.bin'] = Buffer.concat([verifyHeader(5, 5, 0, { distractor: 1 }), randomBytes(60, 32)]);
  seeds['bad-sigma.bin'] = Buffer.concat([verifyHeader(5, 5, 0, { sigma2: -1 }), randomBytes(60, 33)]);
  return seeds;
}

for (const [name, seeds] of [['fits', fitsSeeds()], ['detect', detectSeeds()], ['verify', verifySeeds()]]) {
  const dir = join(corpusDir, name);
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    if (!file.startsWith('crash-')) rmSync(join(dir, file));
  }
  for (const [file, bytes] of Object.entries(seeds)) writeFileSync(join(dir, file), bytes);
  console.log(`${dir}: ${Object.keys(seeds).length} files`);
}
