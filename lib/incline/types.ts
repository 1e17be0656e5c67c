/** The public types of incline(): inputs, options and the IncliNET-shaped result. */
import type { Image } from '../image/image.js';
import type { RawPixels } from '../image/load.js';

/**
 * One galaxy image: a file path, the bytes of an encoded image (FITS, JPEG, PNG, TIFF, WebP,
 * GIF), raw pixels, or a decoded asterism {@link Image}. The galaxy should sit at the centre.
 */
export type InclineInput = string | Uint8Array | RawPixels | Image;

/** Where the models come from and how they run; one worker thread serves each distinct setting. */
export interface InclineEngineOptions {
  /**
   * Directory holding manifest.json and the ONNX files it names. Default: the
   * `ASTERISM_MODELS_DIR` environment variable, else the package's own `models-onnx/`.
   */
  modelsDir?: string;
  /** onnxruntime intra-op threads per model run (default 1: measured faster than 2 on a busy 2-core machine). */
  intraOpThreads?: number;
}

/** Options for {@link incline}. */
export interface InclineOptions extends InclineEngineOptions {
  /**
   * Position angle of the major axis in degrees, north through east, for an image with north up
   * and east left. When given, the image is turned clockwise by `pa + 90°` so the major axis
   * lies horizontally, as the models were trained; when absent the image is used as it is.
   */
  pa?: number;
  /** Refuse images with more pixels than this before decoding (default 250 million). */
  maxPixels?: number;
  /** Rejects with `E_ABORTED` when it fires. */
  signal?: AbortSignal;
}

/** Progress of {@link inclineMany}: galaxies through a stage so far. */
export interface InclineProgress {
  stage: 'preprocess' | 'inference';
  done: number;
  total: number;
}

/** Options for {@link inclineMany}. */
export interface InclineManyOptions extends Omit<InclineOptions, 'pa'> {
  /** One position angle (degrees) for every image, or one per image (`undefined` entries: no rotation). */
  pa?: number | ReadonlyArray<number | undefined>;
  /** Called as galaxies are preprocessed and as batches leave the models. */
  onProgress?: (progress: InclineProgress) => void;
}

/** Mean, median and population standard deviation of an ensemble's answers, rounded to 2 decimals. */
export interface InclineSummary {
  mean: number;
  median: number;
  stdev: number;
}

/**
 * IncliNET's answer for one galaxy. `inclinations` holds one object per model group
 * (`Group_0` …), each mapping a regression model's name to whole degrees (45–90, 90 = edge-on),
 * and a `summary` over every regression model. `rejection_likelihood` maps each binary model's
 * name to the percentage (0–100, 2 decimals) it gives the image of being unusable (not a
 * galaxy, face-on, too faint, cut off), and a `summary` over those.
 */
export interface InclineResult {
  inclinations: { [group: string]: Record<string, number> | InclineSummary; summary: InclineSummary };
  rejection_likelihood: { [model: string]: number | InclineSummary; summary: InclineSummary };
}
