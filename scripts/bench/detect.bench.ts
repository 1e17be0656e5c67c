/**
 * Star detection benchmark: native vs TypeScript on synthetic frames with known stars.
 *
 *   npm run bench            (or: npx tsx scripts/bench/detect.bench.ts [--quick] [--json])
 *
 * Prints one table: per frame size, the median native time (single thread, off the event loop
 * in real use but timed here through the synchronous binding to measure the work alone), the
 * TypeScript time, their ratio, and the accuracy figures the README quotes: completeness for
 * stars with SNR ≥ 10, centroid RMS for SNR > 50, and the fraction of detections that match no
 * star. A second table counts detections on pure-noise frames. A third runs the reference
 * extractors that are installed (astrometry.net's image2xy, SEP, SExtractor; Debian packages
 * astrometry.net, python3-sep, source-extractor) on the largest frame, scored the same way.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectStarsJs } from '../../lib/detect/detect.js.js';
import { writeFits } from '../../lib/image/fits-write.js';
import { benchFlags, requireAddon } from './common.js';
import { matchStars, renderStarfield } from '../synth/starfield.js';

const args = benchFlags;
const quick = args.has('--quick');
const asJson = args.has('--json');
const addon = requireAddon();

const PSF = 1.5;
const sizes = quick ? [1024, 2048] : [1024, 2048, 4096];

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
}

interface ReferenceRow {
  tool: string;
  seconds?: number;
  found?: number;
  completenessSnr10?: number;
  centroidRmsSnr50?: number | null;
  falseFraction?: number;
  error?: string;
}
const references: ReferenceRow[] = [];
const referenceScript = join(import.meta.dirname, 'reference_extractors.py');

function runReferences(pixels: Float32Array, size: number, stars: Array<{ x: number; y: number; snr: number }>): void {
  if (args.has('--no-reference') || !existsSync('/usr/bin/python3')) return;
  const dir = mkdtempSync(join(tmpdir(), 'asterism-bench-'));
  try {
    const fits = join(dir, 'frame.fits');
    const truth = join(dir, 'truth.csv');
    writeFileSync(fits, writeFits(size, size, pixels));
    writeFileSync(truth, stars.map((s) => `${s.x},${s.y},${s.snr}`).join('\n'));
    const run = spawnSync('/usr/bin/python3', [referenceScript, fits, truth, String(PSF)], { encoding: 'utf8', timeout: 600_000 });
    for (const line of run.stdout.split('\n')) if (line.trim().startsWith('{')) references.push(JSON.parse(line) as ReferenceRow);
    if (run.status !== 0 && references.length === 0) console.error(run.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Row {
  size: string;
  stars: number;
  nativeMs: number;
  jsMs: number;
  ratio: number;
  detected: number;
  completenessSnr10: number;
  centroidRmsSnr50: number;
  falseFraction: number;
}

const rows: Row[] = [];
for (const size of sizes) {
  // ~3000 stars on a 4096² frame, the same density on the smaller ones.
  const count = Math.round(3000 * (size / 4096) ** 2);
  const f = renderStarfield({ width: size, height: size, seed: 1000 + size, stars: count, psfSigma: PSF, hotPixels: Math.round(count / 50) });
  const nativeRuns = size >= 4096 ? 7 : 11;
  const nativeTimes: number[] = [];
  let result = addon.detectSync(f.pixels, size, size, { psfSigma: PSF });
  for (let i = 0; i < nativeRuns; i++) {
    const [r, ms] = time(() => addon.detectSync(f.pixels, size, size, { psfSigma: PSF }));
    result = r;
    nativeTimes.push(ms);
  }
  const jsRuns = size >= 4096 ? 2 : 3;
  const jsTimes: number[] = [];
  for (let i = 0; i < jsRuns; i++) jsTimes.push(time(() => detectStarsJs(f.pixels, size, size, { psfSigma: PSF }))[1]);
  const found = Array.from(result.x, (x, i) => ({ x, y: result.y[i] }));
  const { pairs, unmatchedFound } = matchStars(f.stars, found, 2);
  const bright = pairs.filter(([t]) => f.stars[t].snr > 50);
  const rms = Math.sqrt(bright.reduce((s, [t, d]) => s + (f.stars[t].x - found[d].x) ** 2 + (f.stars[t].y - found[d].y) ** 2, 0) / Math.max(1, bright.length));
  const detectable = f.stars.filter((s) => s.snr >= 10).length;
  const foundDetectable = pairs.filter(([t]) => f.stars[t].snr >= 10).length;
  const nativeMs = median(nativeTimes);
  const jsMs = median(jsTimes);
  if (size === sizes[sizes.length - 1]) runReferences(f.pixels, size, f.stars);
  rows.push({
    size: `${size}×${size}`,
    stars: count,
    nativeMs,
    jsMs,
    ratio: jsMs / nativeMs,
    detected: found.length,
    completenessSnr10: foundDetectable / detectable,
    centroidRmsSnr50: rms,
    falseFraction: unmatchedFound.length / Math.max(1, found.length),
  });
}

const noiseFrames = quick ? 3 : 10;
let noiseDetections = 0;
for (let seed = 0; seed < noiseFrames; seed++) {
  const f = renderStarfield({ width: 2048, height: 2048, seed: 5000 + seed, stars: 0, gradient: 0.5, vignetting: 0.3 });
  noiseDetections += addon.detectSync(f.pixels, 2048, 2048, { psfSigma: PSF }).x.length;
}

if (asJson) {
  console.log(JSON.stringify({ rows, noiseFrames, noiseDetections, references }, null, 2));
} else {
  const pct = (v: number) => `${(100 * v).toFixed(1)} %`;
  console.log('\nStar detection, synthetic frames (Gaussian PSF σ=1.5 px, gradient + vignetting, noise σ=10, hot pixels)\n');
  console.log('| frame | stars | native (median) | TypeScript | TS / native | found | complete SNR≥10 | centroid RMS SNR>50 | false |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.size} | ${r.stars} | ${r.nativeMs.toFixed(1)} ms | ${r.jsMs.toFixed(0)} ms | ${r.ratio.toFixed(1)}× | ${r.detected} | ${pct(r.completenessSnr10)} | ${r.centroidRmsSnr50.toFixed(3)} px | ${pct(r.falseFraction)} |`);
  }
  console.log(`\nPure-noise 2048×2048 frames: ${noiseDetections} detections in ${noiseFrames} frames.`);
  if (references.length > 0) {
    const last = rows[rows.length - 1];
    console.log(`\nReference extractors on the ${last.size} frame (their defaults; image2xy with -w ${PSF}; times include their own I/O except SEP's)\n`);
    console.log('| tool | time | found | complete SNR≥10 | centroid RMS SNR>50 | false |');
    console.log('|---|---|---|---|---|---|');
    console.log(`| asterism (native) | ${(last.nativeMs / 1000).toFixed(2)} s | ${last.detected} | ${pct(last.completenessSnr10)} | ${last.centroidRmsSnr50.toFixed(3)} px | ${pct(last.falseFraction)} |`);
    for (const r of references) {
      if (r.error) console.log(`| ${r.tool} | failed: ${r.error} | | | | |`);
      else console.log(`| ${r.tool} | ${r.seconds!.toFixed(2)} s | ${r.found} | ${pct(r.completenessSnr10!)} | ${r.centroidRmsSnr50 === null ? '–' : `${r.centroidRmsSnr50!.toFixed(3)} px`} | ${pct(r.falseFraction!)} |`);
    }
  }
}
