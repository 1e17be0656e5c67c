// Compares onnxruntime-node with torch on the samples export.py saved.
//   node scripts/train/check-onnx.mjs [--models models-onnx] [--runs scripts/train/runs]
// Exits non-zero if any output differs by more than 1e-5.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'models-onnx' },
    runs: { type: 'string', default: 'scripts/train/runs' },
  },
});
const tolerance = 1e-5;
const manifest = JSON.parse(readFileSync(join(values.models, 'manifest.json'), 'utf8'));
const checkDir = join(values.runs, 'onnx-check');
let worst = 0;
let failed = 0;
for (const entry of manifest.models) {
  const sample = JSON.parse(readFileSync(join(checkDir, `${entry.name}.json`), 'utf8'));
  const bytes = readFileSync(join(checkDir, sample.input));
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const n = data.length / (3 * 128 * 128);
  const session = await ort.InferenceSession.create(join(values.models, entry.file));
  const out = await session.run({ [manifest.input.name]: new ort.Tensor('float32', data, [n, 3, 128, 128]) });
  const got = out[entry.output].data;
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - sample.expected[i]));
  worst = Math.max(worst, diff);
  const ok = diff <= tolerance && got.length === sample.expected.length;
  if (!ok) failed++;
  console.log(`${entry.name.padEnd(14)} ${ok ? 'ok  ' : 'FAIL'} max |node - torch| = ${diff.toExponential(2)}`);
  await session.release();
}
console.log(`${manifest.models.length - failed} agree, ${failed} differ; worst ${worst.toExponential(2)}`);
process.exit(failed ? 1 : 0);
