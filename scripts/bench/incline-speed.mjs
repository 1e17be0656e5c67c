// Times the inclination ensemble in onnxruntime-node: every model in
// models-onnx/manifest.json on one galaxy and its 180° rotation (batch of 2),
// as lib/incline runs it. Prints per-model and whole-ensemble medians for 1 and
// 2 intra-op threads, and the total size of the ONNX files.
// Budget: ensemble <= 50 ms per galaxy (target <= 35 ms), files <= 30 MB.
//   node scripts/bench/incline-speed.mjs [--models models-onnx] [--runs 100]
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'models-onnx' },
    runs: { type: 'string', default: '100' },
    threads: { type: 'string', default: '1,2' },
  },
});
const runs = Number(values.runs);
const budgetMs = 50;
const targetMs = 35;
const manifest = JSON.parse(readFileSync(join(values.models, 'manifest.json'), 'utf8'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const size = 128;
const input = new Float32Array(2 * 3 * size * size);
let seed = 1;
for (let i = 0; i < input.length; i++) {
  seed = (seed * 1103515245 + 12345) >>> 0;
  input[i] = seed / 2 ** 32;
}
const feeds = { [manifest.input.name]: new ort.Tensor('float32', input, [2, 3, size, size]) };

const totalBytes = manifest.models.reduce((s, m) => s + statSync(join(values.models, m.file)).size, 0);
console.log(`${manifest.models.length} models, ${(totalBytes / 1e6).toFixed(2)} MB of ONNX files (budget 30 MB)`);
console.log(`batch [2,3,${size},${size}] (galaxy + 180° rotation), ${runs} runs, median ms\n`);

const configs = [];
for (const threads of values.threads.split(',').map(Number)) {
  configs.push({ threads, spin: false });
  if (threads > 1) configs.push({ threads, spin: true });
}
for (const { threads, spin } of configs) {
  const sessions = [];
  for (const m of manifest.models) {
    const session = await ort.InferenceSession.create(join(values.models, m.file), {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // 15 sessions each keep their own pool; spinning workers of idle sessions
      // steal the 2 cores from the one running (200 ms per galaxy instead of 15).
      extra: { session: { intra_op: { allow_spinning: spin ? '1' : '0' } } },
    });
    sessions.push({ m, session, times: [] });
  }
  for (const s of sessions) for (let i = 0; i < 5; i++) await s.session.run(feeds);
  const ensemble = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (const s of sessions) {
      const t = performance.now();
      await s.session.run(feeds);
      s.times.push(performance.now() - t);
    }
    ensemble.push(performance.now() - t0);
  }
  console.log(`intraOpNumThreads ${threads}${threads > 1 ? `, spinning ${spin ? 'on (default)' : 'off'}` : ''}`);
  console.log('model           arch  params     MFLOPs  ms/galaxy');
  for (const s of sessions) {
    console.log(
      `${s.m.name.padEnd(15)} ${s.m.architecture.padEnd(5)} ${String(s.m.parameters).padStart(8)} ` +
        `${String(s.m.mflops ?? '').padStart(8)}  ${median(s.times).toFixed(2).padStart(8)}`,
    );
  }
  const ms = median(ensemble);
  const verdict = ms <= targetMs ? 'within target' : ms <= budgetMs ? 'within budget, over target' : 'OVER BUDGET';
  console.log(`ensemble median ${ms.toFixed(2)} ms per galaxy (budget ${budgetMs}, target ${targetMs}): ${verdict}\n`);
  for (const s of sessions) await s.session.release();
}
