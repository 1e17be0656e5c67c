/**
 * Sky-index benchmark, two parts:
 * 1. builds a full-sky sub-index from a synthetic catalogue of 1 million stars (uniform on the
 *    sphere, magnitudes from a power law), reporting time and memory per stage, then writes it
 *    and times loading it back;
 * 2. loads the shipped default index set (indexes/default) five times: the time per load, and
 *    the memory it takes against the files' size (the issue's "no copy beyond one").
 *
 *   npx tsx scripts/bench/index.bench.ts [--stars N] [--scale-low DEG] [--json]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSubIndex } from '../../lib/skyindex/build.js';
import type { StarCatalog } from '../../lib/skyindex/catalog.js';
import { loadSubIndex, writeSubIndex } from '../../lib/skyindex/subindex-file.js';
import { DEFAULT_INDEX_DIR } from '../../lib/skyindex/default-index.js';
import { loadIndex } from '../../lib/skyindex/index-set.js';
import { readdirSync } from 'node:fs';
import { backend } from '../../lib/native/addon.js';
import { createRng } from '../synth/random.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const starCount = option('stars', 1_000_000);
const scaleLow = option('scale-low', 1);

function syntheticCatalog(n: number): StarCatalog {
  const rng = createRng(99);
  const ra = new Float64Array(n), dec = new Float64Array(n), mag = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ra[i] = rng.uniform(0, 360);
    dec[i] = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
    // dN/dm ∝ 10^(0.4 m) up to m = 12, as star counts roughly grow
    mag[i] = 12 + 2.5 * Math.log10(rng.uniform(1e-5, 1));
  }
  return { ra, dec, mag, source: `synthetic uniform sky, ${n} stars`, skippedRows: 0 };
}

// The default set first, while the process holds nothing else. Memory is measured as the growth of ArrayBuffer memory while one
// loaded set is held (after a GC when --expose-gc is given), against the files' total size.
const defaultFiles = readdirSync(DEFAULT_INDEX_DIR).filter((f) => f.endsWith('.idx'));
const defaultBytes = defaultFiles.reduce((n, f) => n + statSync(join(DEFAULT_INDEX_DIR, f)).size, 0);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
gc();
const before = process.memoryUsage().arrayBuffers;
const defaultLoads: number[] = [];
let held = null;
for (let i = 0; i < 5; i++) {
  held = null;
  gc();
  const t = performance.now();
  held = await loadIndex(DEFAULT_INDEX_DIR);
  defaultLoads.push(performance.now() - t);
}
gc();
const heldBytes = process.memoryUsage().arrayBuffers - before;
const distinctBuffers = new Set(held!.subIndices.flatMap((e) => [e.index.stars.points.buffer, e.index.codes.points.buffer, e.index.quads.buffer, e.index.mags.buffer])).size;

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
let peak = rssMb();
const sampler = setInterval(() => { peak = Math.max(peak, rssMb()); }, 50);

const t0 = performance.now();
const catalog = syntheticCatalog(starCount);
const tCatalog = performance.now();
const stages: Array<[string, number]> = [];
let lastStage = 'start', lastTime = performance.now();
const index = buildSubIndex(catalog, {
  scaleLowerDeg: scaleLow,
  scaleUpperDeg: scaleLow * Math.SQRT2,
  onProgress: (_f, stage) => {
    const base = stage.replace(/, pass.*/, '');
    if (base !== lastStage) {
      const now = performance.now();
      stages.push([lastStage, now - lastTime]);
      lastStage = base;
      lastTime = now;
    }
  },
});
stages.push([lastStage, performance.now() - lastTime]);
const tBuild = performance.now();
const dir = mkdtempSync(join(tmpdir(), 'asterism-index-bench-'));
const file = join(dir, 'bench.idx');
writeFileSync(file, writeSubIndex(index));
const size = statSync(file).size;
const loads: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  await loadSubIndex(file);
  loads.push(performance.now() - t);
}
clearInterval(sampler);
rmSync(dir, { recursive: true, force: true });
loads.sort((a, b) => a - b);


const result = {
  backend: backend(),
  catalogStars: starCount,
  scaleDeg: [scaleLow, scaleLow * Math.SQRT2],
  selectedStars: index.meta.starCount,
  quads: index.meta.quadCount,
  cellCoverage: index.meta.cellCoverage,
  buildSeconds: (tBuild - tCatalog) / 1000,
  stagesSeconds: Object.fromEntries(stages.filter(([s]) => s !== 'start').map(([s, ms]) => [s, ms / 1000])),
  fileMb: size / 2 ** 20,
  loadMsMedian: loads[2],
  peakRssMb: peak,
  catalogSeconds: (tCatalog - t0) / 1000,
  defaultSet: {
    files: defaultFiles.length,
    mb: defaultBytes / 2 ** 20,
    loadMsFirst: defaultLoads[0],
    loadMsMedian: [...defaultLoads].sort((a, b) => a - b)[2],
    heldMb: heldBytes / 2 ** 20,
    copiesOfFileBytes: heldBytes / defaultBytes,
    buffersPerFile: distinctBuffers / defaultFiles.length,
  },
};
if (argv.includes('--json')) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`\nSub-index from ${starCount.toLocaleString('en')} catalogue stars, quads ${scaleLow}°–${(scaleLow * Math.SQRT2).toFixed(2)}° (${result.backend} kd-tree)\n`);
  console.log('| stage | time |');
  console.log('|---|---|');
  for (const [stage, s] of Object.entries(result.stagesSeconds)) console.log(`| ${stage} | ${s.toFixed(2)} s |`);
  console.log(`| **total build** | **${result.buildSeconds.toFixed(1)} s** |`);
  const d = result.defaultSet;
  console.log(`\nDefault index set: ${d.files} files, ${d.mb.toFixed(1)} MB; load ${d.loadMsFirst.toFixed(0)} ms first, ${d.loadMsMedian.toFixed(0)} ms median of 5 (target ≤ 200 ms)`);
  console.log(`memory held by one loaded set: ${d.heldMb.toFixed(1)} MB = ${d.copiesOfFileBytes.toFixed(2)} × the files' bytes; ${d.buffersPerFile.toFixed(2)} ArrayBuffer(s) per file (target: one copy)`);
  console.log(`\n${result.selectedStars} stars kept, ${result.quads} quads, ${(100 * result.cellCoverage).toFixed(1)} % of cells with a quad; file ${result.fileMb.toFixed(1)} MB, loaded in ${result.loadMsMedian.toFixed(0)} ms (median of 5); peak RSS ${result.peakRssMb.toFixed(0)} MB`);
}
