/**
 * Sky-index benchmark: builds a full-sky sub-index from a synthetic catalogue of 1 million
 * stars (uniform on the sphere, magnitudes from a power law) and reports time and memory per
 * stage, then writes it and times loading it back.
 *
 *   npx tsx scripts/bench/index.bench.ts [--stars N] [--scale-low DEG] [--json]
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSubIndex } from '../../lib/skyindex/build.js';
import type { StarCatalog } from '../../lib/skyindex/catalog.js';
import { loadSubIndex, writeSubIndex } from '../../lib/skyindex/subindex-file.js';
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
};
if (argv.includes('--json')) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`\nSub-index from ${starCount.toLocaleString('en')} catalogue stars, quads ${scaleLow}°–${(scaleLow * Math.SQRT2).toFixed(2)}° (${result.backend} kd-tree)\n`);
  console.log('| stage | time |');
  console.log('|---|---|');
  for (const [stage, s] of Object.entries(result.stagesSeconds)) console.log(`| ${stage} | ${s.toFixed(2)} s |`);
  console.log(`| **total build** | **${result.buildSeconds.toFixed(1)} s** |`);
  console.log(`\n${result.selectedStars} stars kept, ${result.quads} quads, ${(100 * result.cellCoverage).toFixed(1)} % of cells with a quad; file ${result.fileMb.toFixed(1)} MB, loaded in ${result.loadMsMedian.toFixed(0)} ms (median of 5); peak RSS ${result.peakRssMb.toFixed(0)} MB`);
}
