/**
 * Hypothesis verification benchmark: native vs TypeScript calls per second.
 *
 *   npx tsx scripts/bench/verify.bench.ts [--quick] [--json]
 *
 * Two typical sizes, n field stars against m projected index stars in a 2000 × 1500 frame
 * (σ² growing from 1 px² at a random quad centre): n = 100, m = 150 and n = 300, m = 1000. For
 * each, a true hypothesis (60 % of the field stars have an index star within 0.5 px; every
 * field star is evaluated) and a false one (unrelated star sets, as most hypotheses of a solve
 * are; with n = 300 the default bail at ln 1e-100 stops it after about 166 stars). Each case
 * cycles through 16 random inputs. The native side is measured through the public API (lib/solve/verify.ts),
 * the TypeScript side by calling its twin (lib/solve/verify.js.ts) directly. Prints calls per
 * second and the TypeScript / native time ratio, and checks that both give the same results.
 */
import { benchFlags, requireAddon } from './common.js';
import { verifyHypothesis, type VerifyInput, type VerifyResult } from '../../lib/solve/verify.js';
import { verifyHypothesisJs } from '../../lib/solve/verify.js.js';
import { createRng, type Rng } from '../synth/random.js';

const quick = benchFlags.has('--quick');
const asJson = benchFlags.has('--json');
requireAddon();
delete process.env.ASTERISM_FORCE_JS;

const WIDTH = 2000;
const HEIGHT = 1500;
const INPUTS = 16;
const SECONDS = quick ? 0.25 : 1;

function makeInput(random: Rng, n: number, m: number, related: boolean): VerifyInput {
  const fieldXY = new Float64Array(2 * n);
  for (let k = 0; k < 2 * n; k += 2) {
    fieldXY[k] = random.uniform(0, WIDTH);
    fieldXY[k + 1] = random.uniform(0, HEIGHT);
  }
  const indexXY = new Float64Array(2 * m);
  const indexSigma2 = new Float64Array(m);
  const cx = random.uniform(0, WIDTH);
  const cy = random.uniform(0, HEIGHT);
  let copied = 0;
  for (let i = 0; i < m; i++) {
    // A true hypothesis: the first 60 % of the field stars have a counterpart, the rest of the
    // index stars are elsewhere (stars too faint to be detected).
    if (related && copied < Math.floor(0.6 * n)) {
      const j = copied++;
      indexXY[2 * i] = fieldXY[2 * j] + 0.3 * random.normal();
      indexXY[2 * i + 1] = fieldXY[2 * j + 1] + 0.3 * random.normal();
    } else {
      indexXY[2 * i] = random.uniform(0, WIDTH);
      indexXY[2 * i + 1] = random.uniform(0, HEIGHT);
    }
    const r2 = (indexXY[2 * i] - cx) ** 2 + (indexXY[2 * i + 1] - cy) ** 2;
    indexSigma2[i] = 1 + 4 * r2 / (WIDTH * WIDTH);
  }
  return { fieldXY, indexXY, indexSigma2, width: WIDTH, height: HEIGHT, skipField: new Uint32Array([0, 1, 2, 3]), skipIndex: new Uint32Array([0, 1, 2, 3]) };
}

/** Calls per second of `fn` over the inputs, for about SECONDS, after a warm-up. */
function rate(fn: (input: VerifyInput) => VerifyResult, inputs: VerifyInput[]): number {
  for (let k = 0; k < 2000; k++) fn(inputs[k % INPUTS]);
  let calls = 0;
  let sink = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < SECONDS * 1000) {
    for (let k = 0; k < 256; k++) sink += fn(inputs[(calls + k) % INPUTS]).matched;
    calls += 256;
    elapsed = performance.now() - start;
  }
  if (sink < 0) console.log(sink);
  return calls / (elapsed / 1000);
}

function same(a: VerifyResult, b: VerifyResult): boolean {
  const close = (x: number, y: number) => x === y || Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  return close(a.logOdds, b.logOdds) && close(a.bestLogOdds, b.bestLogOdds) && a.bestAt === b.bestAt && a.evaluated === b.evaluated &&
    a.matched === b.matched && a.conflicts === b.conflicts && a.fieldMatch.every((v, j) => v === b.fieldMatch[j]);
}

interface Row {
  n: number;
  m: number;
  hypothesis: string;
  evaluated: number;
  matched: number;
  nativeCallsPerSecond: number;
  jsCallsPerSecond: number;
  ratio: number;
  agree: boolean;
}

const rows: Row[] = [];
const random = createRng(2010);
for (const [n, m] of [[100, 150], [300, 1000]] as const) {
  for (const related of [true, false]) {
    const inputs = Array.from({ length: INPUTS }, () => makeInput(random, n, m, related));
    const agree = inputs.every((input) => same(verifyHypothesis(input), verifyHypothesisJs(input)));
    const example = verifyHypothesis(inputs[0]);
    const nativeRate = rate(verifyHypothesis, inputs);
    const jsRate = rate(verifyHypothesisJs, inputs);
    rows.push({
      n, m, hypothesis: related ? 'true' : 'false', evaluated: example.evaluated, matched: example.matched,
      nativeCallsPerSecond: nativeRate, jsCallsPerSecond: jsRate, ratio: nativeRate / jsRate, agree,
    });
  }
}

if (asJson) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  console.log(`verifyHypothesis, ${WIDTH} × ${HEIGHT} frame, ${SECONDS} s per measurement (Node ${process.version})\n`);
  console.log('| n field | m index | hypothesis    | evaluated | matched | native calls/s | TS calls/s | TS time / native time | agree |');
  console.log('|--------:|--------:|---------------|----------:|--------:|---------------:|-----------:|----------------------:|:-----:|');
  for (const r of rows) {
    console.log(`| ${r.n} | ${r.m} | ${r.hypothesis.padEnd(13)} | ${r.evaluated} | ${r.matched} | ${fmt(r.nativeCallsPerSecond)} | ${fmt(r.jsCallsPerSecond)} | ${r.ratio.toFixed(2)} | ${r.agree ? 'yes' : 'NO'} |`);
  }
}
if (!rows.every((r) => r.agree)) process.exitCode = 1;
