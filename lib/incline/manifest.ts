/**
 * The model manifest (models-onnx/manifest.json, written by scripts/train/export.py): which ONNX
 * files make the ensemble, what each one outputs, and how a regression output maps to degrees.
 * Read and checked here, on the calling thread, so a broken install fails with `E_MODEL` before
 * a worker starts.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { AsterismError } from '../errors.js';
import { packageRoot } from '../package-root.js';

/** The only manifest layout this code reads. */
const FORMAT_VERSION = 1;

/** Side of the square input image, pixels (the models' input is [N, 3, 128, 128]). */
export const MODEL_INPUT_SIZE = 128;

/** One ONNX model of the ensemble. */
export interface ModelEntry {
  /** IncliNET's name for it (`model4`, `model5-binary`, …): the key in the result. */
  name: string;
  /** Absolute path of the .onnx file. */
  file: string;
  kind: 'regression' | 'binary';
  /** The result group of a regression model (`Group_0` …); null for binary models. */
  group: string | null;
  /** Name of the output tensor, shape [N, 1]. */
  output: string;
  /** False for untrained placeholders (random weights); undefined when the manifest does not say. */
  trained?: boolean;
}

/** A checked manifest. */
export interface ModelManifest {
  dir: string;
  /** Name of the input tensor, float32 [N, 3, 128, 128], RGB in [0, 1]. */
  inputName: string;
  /** Regression output t maps linearly from `from` to `to` degrees. */
  inclinationMap: { from: [number, number]; to: [number, number] };
  models: ModelEntry[];
  /**
   * The ensemble median's rms error on the held-out synthetic test set, degrees
   * (`evaluation.ensemble.rmsOfMedian`, written by scripts/train/evaluate.py), when recorded:
   * "the models' error" that the pipeline's tests and benchmark measure against.
   */
  testRmsDeg?: number;
}

/** The models directory used when no option says otherwise: `ASTERISM_MODELS_DIR` or the package's models-onnx/. */
export function defaultModelsDir(): string {
  const fromEnv = process.env.ASTERISM_MODELS_DIR;
  return fromEnv ? resolve(fromEnv) : join(packageRoot, 'models-onnx');
}

function bad(dir: string, message: string, cause?: unknown): never {
  throw new AsterismError('E_MODEL', `inclination models in ${dir}: ${message}`, cause === undefined ? undefined : { cause });
}

function pair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v));
}

/**
 * Reads and checks `dir/manifest.json`: format version, input name and shape, the inclination
 * map, and every model entry, whose file must exist.
 *
 * @throws AsterismError `E_MODEL` naming what is wrong.
 *
 * @example
 * ```ts
 * import { readModelManifest } from 'asterism';
 * const { models } = readModelManifest();
 * if (models.some((m) => m.trained === false)) console.warn('placeholder models: answers are meaningless');
 * ```
 */
export function readModelManifest(dir: string = defaultModelsDir()): ModelManifest {
  const path = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    bad(dir, existsSync(path) ? `manifest.json is not valid JSON (${(e as Error).message})` : 'manifest.json is missing (are the models installed?)', e);
  }
  const m = raw as Record<string, unknown>;
  if (m?.formatVersion !== FORMAT_VERSION) bad(dir, `manifest formatVersion ${String(m?.formatVersion)} is not ${FORMAT_VERSION}`);
  const input = m.input as { name?: unknown; shape?: unknown } | undefined;
  if (typeof input?.name !== 'string') bad(dir, 'manifest input.name is missing');
  const shape = input.shape;
  if (!Array.isArray(shape) || shape.length !== 4 || shape[1] !== 3 || shape[2] !== MODEL_INPUT_SIZE || shape[3] !== MODEL_INPUT_SIZE) {
    bad(dir, `manifest input.shape must be [N, 3, ${MODEL_INPUT_SIZE}, ${MODEL_INPUT_SIZE}], got ${JSON.stringify(shape)}`);
  }
  const map = m.inclinationMap as { from?: unknown; to?: unknown } | undefined;
  if (!pair(map?.from) || !pair(map?.to) || map.from[0] === map.from[1]) bad(dir, 'manifest inclinationMap must be {"from": [a, b], "to": [c, d]} with a ≠ b');
  if (!Array.isArray(m.models) || m.models.length === 0) bad(dir, 'manifest lists no models');
  const seen = new Set<string>();
  const models = m.models.map((entry: Record<string, unknown>, i: number): ModelEntry => {
    const { name, file, kind, output, group, trained } = entry ?? {};
    if (typeof name !== 'string' || name === '' || name === 'summary') bad(dir, `model ${i} has no usable name`);
    if (seen.has(name)) bad(dir, `model ${name} is listed twice`);
    seen.add(name);
    if (kind !== 'regression' && kind !== 'binary') bad(dir, `model ${name}: kind must be "regression" or "binary", got ${JSON.stringify(kind)}`);
    if (typeof output !== 'string') bad(dir, `model ${name}: output name is missing`);
    if (typeof file !== 'string' || file === '') bad(dir, `model ${name}: file is missing from the manifest`);
    const full = isAbsolute(file) ? file : join(dir, file);
    if (!existsSync(full) || !statSync(full).isFile()) bad(dir, `model ${name}: file ${file} is missing`);
    if (kind === 'regression' && (group === null || group === undefined || group === '')) bad(dir, `regression model ${name} has no group`);
    // The exporter writes groups as numbers (0, 1, 2); IncliNET's result names them Group_0 ….
    const groupName = kind === 'binary' ? null : typeof group === 'number' ? `Group_${group}` : String(group);
    return { name, file: full, kind, group: groupName, output, ...(typeof trained === 'boolean' ? { trained } : {}) };
  });
  if (!models.some((x) => x.kind === 'regression')) bad(dir, 'manifest lists no regression model');
  if (!models.some((x) => x.kind === 'binary')) bad(dir, 'manifest lists no binary (rejection) model');
  const testRms = (m.evaluation as { ensemble?: { rmsOfMedian?: unknown } } | undefined)?.ensemble?.rmsOfMedian;
  return {
    dir, inputName: input.name, inclinationMap: { from: map.from, to: map.to }, models,
    ...(typeof testRms === 'number' && testRms > 0 ? { testRmsDeg: testRms } : {}),
  };
}
