/**
 * Stable error codes. Callers branch on `code`; the message is for people and may change.
 */
export type AsterismErrorCode =
  /** The bytes are not an image format asterism reads (wrong magic, text, unknown container). */
  | 'E_IMAGE_FORMAT'
  /** The file is an image, but its data ends before the header says it should. */
  | 'E_IMAGE_TRUNCATED'
  /** A FITS header is malformed or describes an impossible image (negative axes, unknown BITPIX, …). */
  | 'E_FITS_HEADER'
  /** The image has no pixels, or none that are valid (all NaN, all masked). */
  | 'E_IMAGE_EMPTY'
  /** The image has more pixels than the configured limit (decompression-bomb guard). */
  | 'E_IMAGE_TOO_LARGE'
  /** An option or argument has the wrong type or an out-of-range value. */
  | 'E_INVALID_ARGUMENT'
  /** A file could not be read or written. */
  | 'E_IO'
  /** The caller's AbortSignal fired. */
  | 'E_ABORTED'
  /** The work did not finish within the caller's time limit. */
  | 'E_TIMEOUT'
  /** A sky index file is not one asterism can read: wrong magic, corrupt, inconsistent tables or a bad checksum. */
  | 'E_INDEX_FORMAT'
  /** A sky index file ends before the data its header describes. */
  | 'E_INDEX_TRUNCATED'
  /** A sky index file was written by a newer (or unknown) version of the format. */
  | 'E_INDEX_VERSION'
  /** The native addon failed in a way that is not the input's fault. */
  | 'E_NATIVE'
  /**
   * The inclination models cannot be used: models-onnx/manifest.json is missing or malformed, a
   * file it names is missing or not a valid ONNX model, or a model lacks the input or output the
   * manifest promises.
   */
  | 'E_MODEL'
  /** A catalogue lookup found nothing: no galaxy with that PGC number or name. */
  | 'E_NOT_FOUND'
  /** A galaxy catalogue file (HyperLEDA-style CSV, Stellarium DSO catalogue) cannot be read as one. */
  | 'E_CATALOG_FORMAT'
  /**
   * An image source (the SDSS cutout service, a URL template, a local image directory) could not
   * give an image of the requested sky: unreachable, an HTTP error, no coverage there.
   */
  | 'E_IMAGE_SOURCE'
  /** The server's work queue is full: try again shortly (HTTP 503). */
  | 'E_BUSY';

/**
 * The one error class asterism throws for anything the caller can act on.
 *
 * @example
 * ```ts
 * try { await loadImage('frame.fits'); }
 * catch (e) { if (e instanceof AsterismError && e.code === 'E_IMAGE_TRUNCATED') retryDownload(); }
 * ```
 */
export class AsterismError extends Error {
  /** Stable machine-readable code. */
  readonly code: AsterismErrorCode;

  constructor(code: AsterismErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AsterismError';
    this.code = code;
  }
}

/** True when `value` is an AsterismError (also across module copies, by name and code). */
export function isAsterismError(value: unknown): value is AsterismError {
  return value instanceof AsterismError ||
    (value instanceof Error && value.name === 'AsterismError' && typeof (value as { code?: unknown }).code === 'string');
}

/**
 * An error from the native addon (a plain Error carrying only `code` and `message`) as an
 * AsterismError made in the library, so its stack points at the caller rather than at the
 * addon; `callSiteStack`, captured before an await, keeps that true across it. Anything else
 * is returned unchanged.
 */
export function fromNativeError(e: unknown, callSiteStack?: string): unknown {
  if (isAsterismError(e)) return e;
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== 'string' || !code.startsWith('E_')) return e;
  const error = new AsterismError(code as AsterismErrorCode, (e as Error).message, { cause: e });
  if (callSiteStack) error.stack = `${error.name}: ${error.message}${callSiteStack.replace(/^[^\n]*/, '')}`;
  return error;
}
