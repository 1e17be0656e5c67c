/**
 * Sky-index kd-tree benchmark: native vs TypeScript build and range search.
 *
 *   npx tsx scripts/bench/kdtree.bench.ts [--quick] [--json]
 *
 * Builds a tree of 2,000,000 random 4-D codes (uniform in [0,1]^4; --quick: 200,000), then runs
 * 20,000 range queries of radius 0.01 centred near existing codes, one call per query and as one
 * batch, and prints a table: build time, queries per second, the TypeScript / native ratio, and
 * the peak RSS of the process. Both backends must return the same ids (checked).
 */
import { benchFlags, requireAddon } from './common.js';
import type { KdTree } from '../../lib/skyindex/kdtree.js';
import { buildKdTreeJs, rangeSearchBatchJs, rangeSearchJs } from '../../lib/skyindex/kdtree.js.js';
import { createRng } from '../synth/random.js';

const args = benchFlags;
const quick = args.has('--quick');
const asJson = args.has('--json');
const addon = requireAddon();

const DIM = 4;
const COUNT = quick ? 200_000 : 2_000_000;
const QUERIES = 20_000;
const RADIUS = 0.01;
const LEAF_SIZE = 16;


function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, performance.now() - t];
}

const random = createRng(2010).next;
const codes = new Float64Array(COUNT * DIM);
for (let i = 0; i < codes.length; i++) codes[i] = random();
const queries = new Float64Array(QUERIES * DIM);
for (let i = 0; i < QUERIES; i++) {
  const src = Math.floor(random() * COUNT);
  for (let d = 0; d < DIM; d++) queries[i * DIM + d] = codes[src * DIM + d] + (random() - 0.5) * RADIUS;
}

const [nativeBuilt, nativeBuildMs] = time(() => addon.kdtreeBuild(codes, DIM, LEAF_SIZE));
const [jsBuilt, jsBuildMs] = time(() => buildKdTreeJs(codes, DIM, LEAF_SIZE));
const sameTree = Buffer.compare(Buffer.from(nativeBuilt.bounds.buffer), Buffer.from(jsBuilt.bounds.buffer)) === 0 &&
  Buffer.compare(Buffer.from(nativeBuilt.ids.buffer), Buffer.from(jsBuilt.ids.buffer)) === 0;
const tree: KdTree = { dim: DIM, count: COUNT, ...nativeBuilt };
const [, nativeAsyncBuildMs] = await (async () => {
  const t = performance.now();
  const r = await addon.kdtreeBuildAsync(codes, DIM, LEAF_SIZE);
  return [r, performance.now() - t] as const;
})();

// Warm up both paths so the JIT has compiled the TypeScript search before it is timed.
for (let i = 0; i < 500; i++) {
  const q = queries.subarray(i * DIM, (i + 1) * DIM);
  addon.kdtreeRangeSearch(tree, q, RADIUS);
  rangeSearchJs(tree, q, RADIUS);
}

function singleQueries(search: (q: Float64Array) => Uint32Array): [number, number] {
  let found = 0;
  const t = performance.now();
  for (let i = 0; i < QUERIES; i++) found += search(queries.subarray(i * DIM, (i + 1) * DIM)).length;
  return [found, performance.now() - t];
}

const [nativeFound, nativeMs] = singleQueries((q) => addon.kdtreeRangeSearch(tree, q, RADIUS));
const [jsFound, jsMs] = singleQueries((q) => rangeSearchJs(tree, q, RADIUS));
const [nativeBatch, nativeBatchMs] = time(() => addon.kdtreeRangeSearchBatch(tree, queries, RADIUS));
const [jsBatch, jsBatchMs] = time(() => rangeSearchBatchJs(tree, queries, RADIUS));
const sameIds = nativeFound === jsFound && nativeBatch.ids.length === jsBatch.ids.length &&
  Buffer.compare(Buffer.from(nativeBatch.ids.buffer), Buffer.from(jsBatch.ids.buffer)) === 0;

const peakRssMb = process.resourceUsage().maxRSS / 1024;
const qps = (ms: number) => QUERIES / (ms / 1000);
const rows = [
  { step: `build ${COUNT.toLocaleString('en')} × ${DIM}-D (leafSize ${LEAF_SIZE})`, native: `${(nativeBuildMs / 1000).toFixed(2)} s (async ${(nativeAsyncBuildMs / 1000).toFixed(2)} s)`, js: `${(jsBuildMs / 1000).toFixed(2)} s`, ratio: jsBuildMs / nativeBuildMs },
  { step: `${QUERIES.toLocaleString('en')} queries r=${RADIUS}, one call each`, native: `${Math.round(qps(nativeMs)).toLocaleString('en')} q/s`, js: `${Math.round(qps(jsMs)).toLocaleString('en')} q/s`, ratio: jsMs / nativeMs },
  { step: `${QUERIES.toLocaleString('en')} queries r=${RADIUS}, one batch`, native: `${Math.round(qps(nativeBatchMs)).toLocaleString('en')} q/s`, js: `${Math.round(qps(jsBatchMs)).toLocaleString('en')} q/s`, ratio: jsBatchMs / nativeBatchMs },
];

if (asJson) {
  console.log(JSON.stringify({ count: COUNT, dim: DIM, queries: QUERIES, radius: RADIUS, nativeBuildMs, nativeAsyncBuildMs, jsBuildMs, nativeMs, jsMs, nativeBatchMs, jsBatchMs, found: nativeFound, sameTree, sameIds, peakRssMb }, null, 2));
} else {
  console.log(`\nkd-tree: ${COUNT.toLocaleString('en')} uniform 4-D codes, queries near existing codes\n`);
  console.log('| step | native | TypeScript | TS / native |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.step} | ${r.native} | ${r.js} | ${r.ratio.toFixed(1)}× |`);
  console.log(`\nids found: ${nativeFound.toLocaleString('en')} (${(nativeFound / QUERIES).toFixed(1)} per query); identical trees: ${sameTree}; identical ids: ${sameIds}`);
  console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB`);
}
if (!sameTree || !sameIds) process.exitCode = 1;
