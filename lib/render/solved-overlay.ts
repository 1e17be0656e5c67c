/**
 * The picture of a solved field: the image with an RA/Dec grid, the stars the solution matched
 * circled, and labels for catalogued objects that fall in the frame — what a person checks a
 * solution by.
 */
import type { Image } from '../image/image.js';
import type { RaDec } from '../sky/vector.js';
import { renderOverlay, type OverlayOptions, type OverlayShape } from './overlay.js';

/** What the overlay needs of a solution: a WCS with its helpers and the matched stars. */
export interface SolvedFieldView {
  wcs: { pixelToSky(x: number, y: number): RaDec; skyToPixel(ra: number, dec: number): { x: number; y: number } | null };
  matches: ReadonlyArray<{ x: number; y: number }>;
  fieldWidth: number;
}

/** A named object to label (a galaxy, nebula or cluster), position in degrees, size in arcminutes. */
export interface OverlayObject {
  name: string;
  ra: number;
  dec: number;
  /** Major axis, arcminutes (drawn as a circle of that diameter when given). */
  majorArcmin?: number;
}

const GRID_COLOR = '#5ab4ff';
const MATCH_COLOR = '#4cff7a';
const OBJECT_COLOR = '#ffc21a';
/** Grid spacings to choose from, degrees: 1′ to 30°. */
const GRID_STEPS_DEG = [1 / 60, 2 / 60, 5 / 60, 10 / 60, 15 / 60, 0.5, 1, 2, 5, 10, 15, 30];

/** A spacing giving about 4–8 lines across the field. */
function gridStep(fieldDeg: number): number {
  return GRID_STEPS_DEG.find((s) => fieldDeg / s <= 8) ?? 30;
}

function formatDec(dec: number, step: number): string {
  const sign = dec < 0 ? '−' : '+';
  const a = Math.abs(dec);
  if (step >= 1) return `${sign}${Math.round(a)}°`;
  const d = Math.floor(a + 1e-9), m = Math.round((a - d) * 60);
  return `${sign}${d}°${String(m).padStart(2, '0')}′`;
}

function formatRa(ra: number, step: number): string {
  const hours = (((ra % 360) + 360) % 360) / 15;
  const h = Math.floor(hours + 1e-9), m = Math.round((hours - h) * 60);
  return step >= 15 ? `${Math.round(hours)}h` : `${h}h${String(m % 60).padStart(2, '0')}m`;
}

/** Unwraps `ra` to within 180° of `reference`. */
function unwrap(ra: number, reference: number): number {
  let r = ra;
  while (r - reference > 180) r -= 360;
  while (r - reference < -180) r += 360;
  return r;
}

/** Grid lines (and their labels) of constant Dec and constant RA, as segments in pixels. */
export function gridShapes(view: SolvedFieldView, width: number, height: number): OverlayShape[] {
  const { wcs } = view;
  // The sky the image spans, from a coarse sample of its pixels.
  const centre = wcs.pixelToSky((width - 1) / 2, (height - 1) / 2);
  let decMin = 90, decMax = -90, raMin = Infinity, raMax = -Infinity;
  const n = 24;
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= n; j++) {
      const p = wcs.pixelToSky((i / n) * (width - 1), (j / n) * (height - 1));
      decMin = Math.min(decMin, p.dec);
      decMax = Math.max(decMax, p.dec);
      const ra = unwrap(p.ra, centre.ra);
      raMin = Math.min(raMin, ra);
      raMax = Math.max(raMax, ra);
    }
  }
  // A pole inside the frame: every RA crosses it.
  for (const poleDec of [90, -90]) {
    const pole = wcs.skyToPixel(0, poleDec);
    if (pole && pole.x >= 0 && pole.y >= 0 && pole.x <= width - 1 && pole.y <= height - 1) {
      raMin = centre.ra - 180;
      raMax = centre.ra + 180;
      if (poleDec > 0) decMax = 90;
      else decMin = -90;
    }
  }
  const decStep = gridStep(view.fieldWidth);
  const raStep = gridStep(Math.min(360, view.fieldWidth / Math.max(0.05, Math.cos((centre.dec * Math.PI) / 180))));
  const shapes: OverlayShape[] = [];
  const inside = (p: { x: number; y: number } | null, margin = 0) => p !== null && p.x >= -margin && p.y >= -margin && p.x <= width - 1 + margin && p.y <= height - 1 + margin;
  const trace = (points: Array<{ x: number; y: number } | null>, label: string) => {
    let labelled = false;
    for (let k = 1; k < points.length; k++) {
      const a = points[k - 1], b = points[k];
      if (!a || !b || !(inside(a, width) && inside(b, width)) || !(inside(a) || inside(b))) continue;
      // Skip jumps (a line crossing behind the tangent plane).
      if (Math.hypot(b.x - a.x, b.y - a.y) > Math.max(width, height) / 4) continue;
      shapes.push({ kind: 'line', x1: a.x, y1: a.y, x2: b.x, y2: b.y, color: GRID_COLOR, width: 1, opacity: 0.7 });
      if (!labelled && inside(a, -8)) {
        shapes.push({ kind: 'label', x: a.x + 4, y: a.y - 4, text: label, color: GRID_COLOR, size: 11 });
        labelled = true;
      }
    }
  };
  const steps = 200;
  for (let dec = Math.ceil(decMin / decStep) * decStep; dec <= decMax; dec += decStep) {
    if (Math.abs(dec) >= 90) continue;
    const points = Array.from({ length: steps + 1 }, (_, k) => wcs.skyToPixel(raMin + ((raMax - raMin) * k) / steps, dec));
    trace(points, formatDec(dec, decStep));
  }
  for (let ra = Math.ceil(raMin / raStep) * raStep; ra <= raMax; ra += raStep) {
    const points = Array.from({ length: steps + 1 }, (_, k) => wcs.skyToPixel(ra, decMin + ((decMax - decMin) * k) / steps));
    trace(points, formatRa(ra, raStep));
  }
  return shapes;
}

/** Shapes of a solved field: grid, matched stars, labelled objects. */
export function solvedFieldShapes(view: SolvedFieldView, width: number, height: number, objects: readonly OverlayObject[] = []): OverlayShape[] {
  const shapes = gridShapes(view, width, height);
  for (const m of view.matches) shapes.push({ kind: 'circle', x: m.x, y: m.y, r: 6, color: MATCH_COLOR, width: 1.5 });
  const pixelScaleDeg = view.fieldWidth / Math.max(width, height);
  for (const o of objects) {
    const p = view.wcs.skyToPixel(o.ra, o.dec);
    if (!p || p.x < 0 || p.y < 0 || p.x > width - 1 || p.y > height - 1) continue;
    const r = o.majorArcmin ? Math.max(6, o.majorArcmin / 60 / pixelScaleDeg / 2) : 8;
    shapes.push({ kind: 'circle', x: p.x, y: p.y, r, color: OBJECT_COLOR, width: 1.5, dash: [4, 3] });
    shapes.push({ kind: 'label', x: p.x + r + 3, y: p.y, text: o.name, color: OBJECT_COLOR, size: 13 });
  }
  return shapes;
}

/**
 * A PNG of the image with the solution drawn over it.
 *
 * @example
 * ```ts
 * const result = await solve(image);
 * if (result.solved) await writeFile('solved.png', await renderSolvedOverlay(image, result));
 * ```
 */
export async function renderSolvedOverlay(image: Image, view: SolvedFieldView, objects: readonly OverlayObject[] = [], options: OverlayOptions = {}): Promise<Buffer> {
  return renderOverlay(image, solvedFieldShapes(view, image.width, image.height, objects), options);
}
