/**
 * Sky-index kd-tree benchmark: native vs TypeScript build and range search.
 *
 *   npx tsx scripts/bench/kdtree.bench.ts [--quick] [--json]
 *
 * Builds a tree of 2,000,000 random 4-D codes (uniform in [0,1]^4; --quick: 200,000), as doubles
 * and quantised to u16 (quantiseKdTree), then runs 20,000 range queries of radius 0.01 centred
 * near existing codes: one call per query, as one batch, and as one async batch (libuv pool, up
 * to two threads). The native side is measured through the public API (lib/skyindex/kdtree.ts,
 * which uses the addon), the TypeScript side by calling its twin (lib/skyindex/kdtree.js.ts)
 * directly. Prints a table of queries per second and the TypeScript / native time ratio, and
 * checks that both return the same ids.
 */
import { benchFlags, requireAddon } from './common.js';
import { buildKdTree, quantiseKdTree, rangeSearch, rangeSearchBatch, rangeSearchBatchAsync, type KdTree } from '../../lib/skyindex/kdtree.js';
import { buildKdTreeJs, rangeSearchBatchJs, rangeSearchJs } from '../../lib/skyindex/kdtree.js.js';
import { createRng } from '../synth/random.js';

const args = benchFlags;
const quick = args.has('--quick');
const asJson = args.has('--json');
requireAddon();
delete process.env.ASTERISM_FORCE_JS;

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

async function timeAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
}

const sameArray = (a: Uint32Array, b: Uint32Array) => a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

const random = createRng(2010).next;
const codes = new Float64Array(COUNT * DIM);
for (let i = 0; i < codes.length; i++) codes[i] = random();
const queries = new Float64Array(QUERIES * DIM);
for (let i = 0; i < QUERIES; i++) {
  const src = Math.floor(random() * COUNT);
  for (let d = 0; d < DIM; d++) queries[i * DIM + d] = codes[src * DIM + d] + (random() - 0.5) * RADIUS;
}

const [tree, nativeBuildMs] = time(() => buildKdTree(codes, DIM, { leafSize: LEAF_SIZE }));
const [jsBuilt, jsBuildMs] = time(() => buildKdTreeJs(codes, DIM, LEAF_SIZE));
const sameTree = Buffer.compare(Buffer.from(tree.bounds.buffer), Buffer.from(jsBuilt.bounds.buffer)) === 0 && sameArray(tree.ids, jsBuilt.ids);
const [small, quantiseMs] = time(() => quantiseKdTree(tree, 'u16'));

interface Measured {
  name: string;
  megabytes: number;
  nativeSingleMs: number;
  jsSingleMs: number;
  nativeBatchMs: number;
  nativeAsyncMs: number;
  jsBatchMs: number;
  found: number;
  sameIds: boolean;
}

function singleQueries(search: (q: Float64Array) => Uint32Array): [number, number, Uint32Array[]] {
  const results: Uint32Array[] = new Array(QUERIES);
  let found = 0;
  const t = performance.now();
  for (let i = 0; i < QUERIES; i++) {
    const r = search(queries.subarray(i * DIM, (i + 1) * DIM));
    results[i] = r;
    found += r.length;
  }
  return [found, performance.now() - t, results];
}

async function measure(name: string, t: KdTree): Promise<Measured> {
  // Warm up both paths so the JIT has compiled the TypeScript search before it is timed.
  for (let i = 0; i < 2000; i++) {
    const q = queries.subarray(i * DIM, (i + 1) * DIM);
    rangeSearch(t, q, RADIUS);
    rangeSearchJs(t, q, RADIUS);
  }
  const [nativeFound, nativeSingleMs, nativeSingle] = singleQueries((q) => rangeSearch(t, q, RADIUS));
  const [jsFound, jsSingleMs, jsSingle] = singleQueries((q) => rangeSearchJs(t, q, RADIUS));
  const [nativeBatch, nativeBatchMs] = time(() => rangeSearchBatch(t, queries, RADIUS));
  await rangeSearchBatchAsync(t, queries.subarray(0, 1000 * DIM), RADIUS);
  const [nativeAsync, nativeAsyncMs] = await timeAsync(() => rangeSearchBatchAsync(t, queries, RADIUS));
  const [jsBatch, jsBatchMs] = time(() => rangeSearchBatchJs(t, queries, RADIUS));
  let sameIds = nativeFound === jsFound && sameArray(nativeBatch.ids, jsBatch.ids) && sameArray(nativeBatch.offsets, jsBatch.offsets) &&
    sameArray(nativeAsync.ids, jsBatch.ids) && sameArray(nativeAsync.offsets, jsBatch.offsets);
  for (let i = 0; i < QUERIES && sameIds; i++) {
    sameIds = sameArray(nativeSingle[i], jsSingle[i]) && sameArray(nativeSingle[i], jsBatch.ids.subarray(jsBatch.offsets[i], jsBatch.offsets[i + 1]));
  }
  const megabytes = (t.points.byteLength + t.bounds.byteLength + (t.ids?.byteLength ?? 0)) / 1e6;
  return { name, megabytes, nativeSingleMs, jsSingleMs, nativeBatchMs, nativeAsyncMs, jsBatchMs, found: nativeFound, sameIds };
}

const results = [await measure('Float64', tree), await measure('u16', small)];

const peakRssMb = process.resourceUsage().maxRSS / 1024;
const qps = (ms: number) => `${Math.round(QUERIES / (ms / 1000)).toLocaleString('en')} q/s`;
const n = QUERIES.toLocaleString('en');
const rows = [
  { step: `build ${COUNT.toLocaleString('en')} × ${DIM}-D (leafSize ${LEAF_SIZE})`, native: `${(nativeBuildMs / 1000).toFixed(2)} s`, js: `${(jsBuildMs / 1000).toFixed(2)} s`, ratio: jsBuildMs / nativeBuildMs },
];
for (const r of results) {
  const label = `${r.name} tree (${r.megabytes.toFixed(0)} MB)`;
  rows.push(
    { step: `${label}: ${n} queries r=${RADIUS}, one call each`, native: qps(r.nativeSingleMs), js: qps(r.jsSingleMs), ratio: r.jsSingleMs / r.nativeSingleMs },
    { step: `${label}: one batch (sync, 1 thread)`, native: qps(r.nativeBatchMs), js: qps(r.jsBatchMs), ratio: r.jsBatchMs / r.nativeBatchMs },
    { step: `${label}: one batch (async, ≤ 2 threads)`, native: qps(r.nativeAsyncMs), js: qps(r.jsBatchMs), ratio: r.jsBatchMs / r.nativeAsyncMs },
  );
}
const allSame = sameTree && results.every((r) => r.sameIds);

if (asJson) {
  console.log(JSON.stringify({ count: COUNT, dim: DIM, queries: QUERIES, radius: RADIUS, nativeBuildMs, jsBuildMs, quantiseMs, results, sameTree, peakRssMb }, null, 2));
} else {
  console.log(`\nkd-tree: ${COUNT.toLocaleString('en')} uniform 4-D codes, queries near existing codes (native: public API; TypeScript: the twin)\n`);
  console.log('| step | native | TypeScript | TS / native |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.step} | ${r.native} | ${r.js} | ${r.ratio.toFixed(1)}× |`);
  console.log(`\nquantise to u16: ${quantiseMs.toFixed(0)} ms; ids found per query: ${results.map((r) => `${r.name} ${(r.found / QUERIES).toFixed(2)}`).join(', ')}`);
  console.log(`identical trees: ${sameTree}; identical ids (single, batch, async; native vs TypeScript): ${results.map((r) => `${r.name} ${r.sameIds}`).join(', ')}`);
  console.log(`peak RSS: ${peakRssMb.toFixed(0)} MB`);
}
if (!allSame) process.exitCode = 1;
