/**
 * From the models' raw outputs to IncliNET's answer: each model's two views (the image as given
 * and turned by 180°) averaged, regression outputs mapped to whole degrees, rejection
 * probabilities to percentages, and a summary over each kind.
 */
import type { ModelManifest } from './manifest.js';
import type { InclineResult, InclineSummary } from './types.js';
import type { RunOutputs } from './worker.js';

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * Mean, median and population standard deviation (divided by n, as IncliNET's numpy.std) of
 * `values`, each rounded to 2 decimals.
 */
export function summarize(values: readonly number[]): InclineSummary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sorted = [...values].sort((a, b) => a - b);
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const stdev = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  return { mean: round2(mean), median: round2(median), stdev: round2(stdev) };
}

/**
 * Whole degrees from a regression output through the manifest's linear map (t in [−1, 1] →
 * 45–90° for IncliNET's models), clamped to the map's range.
 */
export function degreesOf(t: number, map: ModelManifest['inclinationMap']): number {
  const [f0, f1] = map.from, [d0, d1] = map.to;
  const lo = Math.min(d0, d1), hi = Math.max(d0, d1);
  const degrees = d0 + ((t - f0) * (d1 - d0)) / (f1 - f0);
  // A NaN output (a broken model) must not pass as an angle; it lands on the range's low end.
  return Number.isNaN(degrees) ? lo : Math.min(hi, Math.max(lo, Math.round(degrees)));
}

/** A probability as a percentage with 2 decimals, clamped to 0–100. */
export function percentOf(p: number): number {
  return Number.isNaN(p) ? 0 : round2(Math.min(1, Math.max(0, p)) * 100);
}

/** The answer for image `index` of a run's outputs. */
export function combine(manifest: ModelManifest, outputs: RunOutputs, index: number): InclineResult {
  const inclinations: Record<string, Record<string, number>> = {};
  const rejection: Record<string, number> = {};
  const degrees: number[] = [], percents: number[] = [];
  for (const model of manifest.models) {
    const out = outputs[model.name];
    // The two views of one galaxy: their median is their mean.
    const value = (out[2 * index] + out[2 * index + 1]) / 2;
    if (model.kind === 'regression') {
      const d = degreesOf(value, manifest.inclinationMap);
      (inclinations[model.group!] ??= {})[model.name] = d;
      degrees.push(d);
    } else {
      const p = percentOf(value);
      rejection[model.name] = p;
      percents.push(p);
    }
  }
  return {
    inclinations: { ...inclinations, summary: summarize(degrees) },
    rejection_likelihood: { ...rejection, summary: summarize(percents) },
  };
}
