/**
 * Galaxy inclination benchmark: wall time of incline() per galaxy, the whole 15-model ensemble
 * (12 regression + 3 rejection models, each on the image and its 180° turn), with 1 and 2
 * onnxruntime intra-op threads, and the throughput of inclineMany() batches.
 *
 *   npx tsx scripts/bench/incline.bench.ts [--quick] [--json]
 *
 * The input is a 256 × 256 JPEG of a synthetic galaxy (scripts/synth/galaxy.ts) with a position
 * angle, as a user passes a survey cutout: each incline() call decodes, pads, turns, shrinks and
 * runs the models. Preprocessing alone is timed too, to split the total. Issue target: the
 * ensemble in ≤ 50 ms per galaxy. Run on an otherwise idle machine: with another busy process on
 * 2 cores, 2 threads lose to 1.
 */
import sharp from 'sharp';
import { loadImage } from '../../lib/image/load.js';
import { closeIncline, incline, inclineMany } from '../../lib/incline/incline.js';
import { readModelManifest } from '../../lib/incline/manifest.js';
import { preprocessGalaxy } from '../../lib/incline/preprocess.js';
import { renderGalaxy } from '../synth/galaxy.js';
import { benchFlags } from './common.js';

const quick = benchFlags.has('--quick');
const asJson = benchFlags.has('--json');
const RUNS = quick ? 20 : 100;
const WARMUP = quick ? 5 : 10;
const BATCH = quick ? 32 : 100;
const PA = 35;

function quantile(sorted: number[], q: number): number {
  const at = (sorted.length - 1) * q, lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

async function timeRuns(fn: () => Promise<unknown>): Promise<{ median: number; p90: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { median: quantile(times, 0.5), p90: quantile(times, 0.9) };
}

const raw = renderGalaxy({ width: 256, height: 256, pa: PA, noise: 3, stars: 6, seed: 5 });
const jpeg = await sharp(raw.data, { raw: { width: 256, height: 256, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
const manifest = readModelManifest();
const trained = manifest.models.every((m) => m.trained !== false);

const rows: Array<{ case: string; threads: number | string; medianMs: number; p90Ms: number; perGalaxyMs: number; galaxiesPerSecond: number }> = [];

const decoded = await loadImage(jpeg);
const pre = await timeRuns(() => preprocessGalaxy(decoded, PA));
rows.push({ case: 'preprocess only (pad, turn, shrink)', threads: '-', medianMs: pre.median, p90Ms: pre.p90, perGalaxyMs: pre.median, galaxiesPerSecond: 1000 / pre.median });

for (const threads of [1, 2]) {
  const single = await timeRuns(() => incline(jpeg, { pa: PA, intraOpThreads: threads }));
  rows.push({ case: 'incline(), one JPEG', threads, medianMs: single.median, p90Ms: single.p90, perGalaxyMs: single.median, galaxiesPerSecond: 1000 / single.median });
  const batch = Array<Uint8Array>(BATCH).fill(jpeg);
  const batchRuns = quick ? 2 : 5;
  await inclineMany(batch, { pa: PA, intraOpThreads: threads });
  const times: number[] = [];
  for (let i = 0; i < batchRuns; i++) {
    const started = performance.now();
    await inclineMany(batch, { pa: PA, intraOpThreads: threads });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const median = quantile(times, 0.5);
  rows.push({ case: `inclineMany(), ${BATCH} JPEGs`, threads, medianMs: median, p90Ms: quantile(times, 0.9), perGalaxyMs: median / BATCH, galaxiesPerSecond: (1000 * BATCH) / median });
}
await closeIncline();

if (asJson) {
  console.log(JSON.stringify({ runs: RUNS, batch: BATCH, trainedModels: trained, rows }, null, 1));
} else {
  const f = (v: number) => v.toFixed(1);
  console.log(`incline: ${manifest.models.length} models${trained ? '' : ' (untrained placeholders: same cost as trained ones)'}, ${RUNS} runs after ${WARMUP} warm-up, 256 × 256 JPEG, PA ${PA}°\n`);
  console.log('| case | intra-op threads | median ms | p90 ms | ms per galaxy | galaxies/s |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.case} | ${r.threads} | ${f(r.medianMs)} | ${f(r.p90Ms)} | ${f(r.perGalaxyMs)} | ${f(r.galaxiesPerSecond)} |`);
  const one = rows.find((r) => r.case.startsWith('incline()') && r.threads === 1)!;
  const two = rows.find((r) => r.case.startsWith('incline()') && r.threads === 2)!;
  console.log(`\n2 threads / 1 thread, incline(): ${(two.medianMs / one.medianMs).toFixed(2)}× the time. Target ≤ 50 ms per galaxy: ${one.medianMs <= 50 || two.medianMs <= 50 ? 'met' : 'not met'}.`);
}
