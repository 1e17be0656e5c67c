/**
 * Types shared by the sky cutouts (lib/cutout/sky-cutout.ts), the image sources
 * (lib/cutout/image-sources.ts) and the pipeline (lib/pipeline/).
 */
import type { Image } from '../image/image.js';
import type { Wcs } from '../sky/wcs.js';

/**
 * A square patch of sky to resample from an image with a WCS.
 *
 * The cutout shows the sky as seen, not mirrored. Without `majorAxisPa` it is north up, east
 * left. With it, it is turned (IncliNET's PA + 90°) so that the direction `majorAxisPa` (degrees
 * east of north) points right and the direction `majorAxisPa + 90°` points up.
 */
export interface SkyCutoutRequest {
  /** Centre, J2000 degrees. */
  ra: number;
  dec: number;
  /** Side of the square, arcminutes (IncliNET: 1.5 × D25). */
  fovArcmin: number;
  /** Side of the output, pixels (default 128, the models' input). */
  size?: number;
  /** Position angle to lay horizontal, degrees east of north. */
  majorAxisPa?: number;
}

/** An image of some sky together with the WCS that places it. */
export interface SkyImage {
  image: Image;
  wcs: Wcs;
  /** Where it came from: the URL fetched or the file read. */
  origin: string;
}

/** Options for fetching from an image source. */
export interface ImageSourceFetchOptions {
  signal?: AbortSignal;
  /** Give up after this many milliseconds (default 30 000). */
  timeoutMs?: number;
}

/**
 * Somewhere images of the sky come from: the SDSS cutout service, another service through a URL
 * template, or a local directory of images with WCS.
 */
export interface ImageSource {
  /** For messages: 'SDSS DR16 image cutout service', 'https://…{ra}…', '/data/plates'. */
  readonly description: string;
  /**
   * An image covering at least `fovArcmin` around (`ra`, `dec`). Rejects with `E_IMAGE_SOURCE`
   * when the source cannot be reached or has no image there (the message says how to configure
   * another source), `E_ABORTED` / `E_TIMEOUT` as asked.
   */
  fetch(request: { ra: number; dec: number; fovArcmin: number }, options?: ImageSourceFetchOptions): Promise<SkyImage>;
}
