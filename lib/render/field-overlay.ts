/**
 * The picture of an evaluated field: the image with its RA/Dec grid, and for each galaxy its D25
 * ellipse (major axis at the galaxy's position angle on the sky) with its name and median
 * inclination written beside it. Drawn with the shapes of ./overlay.ts and the grid of
 * ./solved-overlay.ts.
 */
import type { Image } from '../image/image.js';
import { tanDeproject } from '../sky/tan.js';
import { vecToRadec } from '../sky/vector.js';
import { renderOverlay, type OverlayOptions, type OverlayShape } from './overlay.js';
import { gridShapes, type SolvedFieldView } from './solved-overlay.js';

/** What the overlay needs of one galaxy. */
export interface FieldOverlayGalaxy {
  name: string;
  /** Catalogue position, degrees, and its pixel position. */
  ra: number;
  dec: number;
  x: number;
  y: number;
  /** D25, pixels. */
  d25Pixels: number;
  /** Position angle of the major axis, degrees east of north. */
  pa: number;
  /** Minor / major axis ratio to draw; default: from `inclination` (see {@link axisRatioForInclination}), else 0.5. */
  axisRatio?: number;
  /** Median inclination, degrees, written beside the name. */
  inclination?: number;
  /** Median rejection likelihood, percent: from {@link REJECTED_PERCENT} up the galaxy is drawn as rejected. */
  rejection?: number;
}

/** What the overlay needs of the solution: the WCS and the field width (for the grid spacing). */
export type FieldOverlayView = Pick<SolvedFieldView, 'wcs' | 'fieldWidth'>;

/** Rejection likelihood (percent, median of the classifiers) from which a galaxy is drawn as rejected: the classifiers' own even odds. */
export const REJECTED_PERCENT = 50;

/**
 * Intrinsic axial ratio of disks assumed for the drawn minor axis (Hubble 1926; the usual 0.2,
 * and the middle of the training generator's 0.08–0.30).
 */
const DISK_THICKNESS = 0.2;
const ACCEPTED_COLOR = '#ffc21a';
const REJECTED_COLOR = '#ff6b6b';
const LABEL_SIZE = 13;

/**
 * The apparent axis ratio b/a of an oblate disk of intrinsic ratio 0.2 seen at `inclination`
 * degrees: √(cos² i + 0.2² sin² i) (Hubble 1926). Used to draw the minor axis when the catalogue
 * has none, so the ellipse shows what the models concluded.
 */
export function axisRatioForInclination(inclination: number): number {
  const i = (inclination * Math.PI) / 180;
  return Math.sqrt(Math.cos(i) ** 2 + DISK_THICKNESS ** 2 * Math.sin(i) ** 2);
}

/**
 * Direction of a position angle at a sky position, as an angle in the image from +x towards +y
 * (degrees): found through the WCS, so the image's rotation, parity and distortion all count.
 */
function pixelAngleOfPa(view: FieldOverlayView, g: FieldOverlayGalaxy, degPerPixel: number): number {
  const t = (g.pa * Math.PI) / 180;
  // A step of a quarter of D25 along the PA: long enough to beat rounding, short enough to stay local.
  const stepDeg = Math.max(1e-5, (g.d25Pixels / 4) * degPerPixel);
  const towards = vecToRadec(tanDeproject({ ra: g.ra, dec: g.dec }, stepDeg * Math.sin(t), stepDeg * Math.cos(t)));
  const p = view.wcs.skyToPixel(towards.ra, towards.dec);
  return p ? (Math.atan2(p.y - g.y, p.x - g.x) * 180) / Math.PI : 0;
}

/**
 * Shapes of an evaluated field: the RA/Dec grid, then for each galaxy its D25 ellipse (dashed
 * and red when the models reject the cutout) and a label "name i°" to its right, or to its left
 * near the right edge.
 */
export function fieldOverlayShapes(view: FieldOverlayView, width: number, height: number, galaxies: readonly FieldOverlayGalaxy[]): OverlayShape[] {
  const shapes = gridShapes({ ...view, matches: [] }, width, height);
  for (const g of galaxies) {
    const rejected = (g.rejection ?? 0) >= REJECTED_PERCENT;
    const color = rejected ? REJECTED_COLOR : ACCEPTED_COLOR;
    const ratio = g.axisRatio ?? (g.inclination !== undefined ? axisRatioForInclination(g.inclination) : 0.5);
    const rx = g.d25Pixels / 2, ry = rx * Math.min(1, Math.max(0.05, ratio));
    const angle = pixelAngleOfPa(view, g, view.fieldWidth / Math.max(width, height));
    const style = { color, width: 2, ...(rejected ? { dash: [5, 4] } : {}) };
    shapes.push({ kind: 'ellipse', x: g.x, y: g.y, rx, ry, angle, color: '#000', width: 4, opacity: 0.5 });
    shapes.push({ kind: 'ellipse', x: g.x, y: g.y, rx, ry, angle, ...style });
    const inclination = g.inclination !== undefined ? ` ${Math.round(g.inclination)}°` : '';
    const text = `${g.name}${inclination}${rejected ? ` (rejected ${Math.round(g.rejection!)} %)` : ''}`;
    // Beyond the ellipse's horizontal extent, whatever its tilt.
    const a = (angle * Math.PI) / 180;
    const reach = Math.hypot(rx * Math.cos(a), ry * Math.sin(a)) + 6;
    const left = g.x > width * 0.75;
    shapes.push({ kind: 'label', x: g.x + (left ? -reach : reach), y: g.y, text, color, size: LABEL_SIZE, anchor: left ? 'end' : 'start' });
  }
  return shapes;
}

/**
 * A PNG of the evaluated field: the image stretched for display, the RA/Dec grid, and each
 * galaxy's D25 ellipse with its name and median inclination.
 *
 * @example
 * ```ts
 * const result = await evaluateField(image);
 * const png = await renderFieldOverlay(image, { wcs: result.solution.wcs!, fieldWidth: result.solution.fieldWidth! },
 *   result.galaxies.map((g) => ({ ...g, inclination: g.inclinations.summary.median })));
 * ```
 */
export function renderFieldOverlay(image: Image, view: FieldOverlayView, galaxies: readonly FieldOverlayGalaxy[], options: OverlayOptions = {}): Promise<Buffer> {
  return renderOverlay(image, fieldOverlayShapes(view, image.width, image.height, galaxies), options);
}
