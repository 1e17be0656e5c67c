import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { Image } from '../lib/image/image.js';
import { axisRatioForInclination, fieldOverlayShapes, renderFieldOverlay, type FieldOverlayGalaxy, type FieldOverlayView } from '../lib/render/field-overlay.js';
import type { EllipseShape, LabelShape } from '../lib/render/overlay.js';
import { pixelToSky, skyToPixel, type TanWcs } from '../lib/sky/tan.js';

const SCALE = 6 / 3600;

/** A 400 × 300 TAN view at (40, −40): `side` −1 gives det CD < 0 (north up, east left with row 0 at the bottom), +1 its mirror. */
function view(rotationDeg: number, side: 1 | -1): FieldOverlayView & { tan: TanWcs } {
  const t = (rotationDeg * Math.PI) / 180;
  const tan: TanWcs = { crval: [40, -40], crpix: [199.5, 149.5], cd: [[side * SCALE * Math.cos(t), SCALE * Math.sin(t)], [-side * SCALE * Math.sin(t), SCALE * Math.cos(t)]] };
  return { tan, fieldWidth: 400 * SCALE, wcs: { pixelToSky: (x, y) => pixelToSky(tan, x, y), skyToPixel: (ra, dec) => skyToPixel(tan, ra, dec) } };
}

function galaxy(v: ReturnType<typeof view>, pa: number, extra: Partial<FieldOverlayGalaxy> = {}): FieldOverlayGalaxy {
  const { ra, dec } = pixelToSky(v.tan, 150, 120);
  return { name: 'SYN 1', ra, dec, x: 150, y: 120, d25Pixels: 60, pa, ...extra };
}

/** Direction of an undirected axis in degrees, folded into [0, 180). */
function axis(angle: number): number {
  return ((angle % 180) + 180) % 180;
}

describe('fieldOverlayShapes', () => {
  it('lays the ellipse along the position angle on the sky, for any rotation and parity', () => {
    for (const side of [-1, 1] as const) {
      for (const rotation of [0, 35, 200]) {
        const v = view(rotation, side);
        for (const pa of [0, 30, 90, 145]) {
          const ellipse = fieldOverlayShapes(v, 400, 300, [galaxy(v, pa)]).filter((s): s is EllipseShape => s.kind === 'ellipse').at(-1)!;
          // Where the PA points in pixels: the pixel direction of a small step north (+y of the CD
          // column 2 is at the rotation angle) turned by the PA, east being the side CD puts it.
          const t = (pa * Math.PI) / 180;
          const [[a, b], [c, d]] = v.tan.cd;
          const det = a * d - b * c;
          const east = Math.sin(t), north = Math.cos(t);
          const dx = (d * east - b * north) / det, dy = (-c * east + a * north) / det;
          const expected = (Math.atan2(dy, dx) * 180) / Math.PI;
          const diff = Math.abs(axis(ellipse.angle!) - axis(expected));
          expect(Math.min(diff, 180 - diff)).toBeLessThan(0.5);
          expect(ellipse.rx).toBeCloseTo(30, 10);
        }
      }
    }
  });

  it('draws the minor axis from the catalogue ratio, else from the inclination', () => {
    const v = view(0, -1);
    const ellipses = (g: FieldOverlayGalaxy) => fieldOverlayShapes(v, 400, 300, [g]).filter((s): s is EllipseShape => s.kind === 'ellipse');
    expect(ellipses(galaxy(v, 10, { axisRatio: 0.4 })).at(-1)!.ry).toBeCloseTo(12, 10);
    expect(ellipses(galaxy(v, 10, { inclination: 90 })).at(-1)!.ry).toBeCloseTo(30 * 0.2, 10);
    expect(axisRatioForInclination(0)).toBeCloseTo(1, 12);
    expect(axisRatioForInclination(60)).toBeCloseTo(Math.sqrt(0.25 + 0.04 * 0.75), 12);
  });

  it('writes the name and the rounded median inclination beside the ellipse, and marks rejected galaxies', () => {
    const v = view(0, -1);
    const labels = fieldOverlayShapes(v, 400, 300, [galaxy(v, 10, { inclination: 71.5 }), { ...galaxy(v, 10), name: 'SYN 2', x: 390, inclination: 50, rejection: 80 }])
      .filter((s): s is LabelShape => s.kind === 'label' && s.text.startsWith('SYN'));
    expect(labels[0].text).toBe('SYN 1 72°');
    // Right of the ellipse: PA 10° is nearly vertical here, so its half-width is about the minor semi-axis.
    const halfWidth = Math.hypot(30 * Math.sin((10 * Math.PI) / 180), 30 * axisRatioForInclination(71.5) * Math.cos((10 * Math.PI) / 180));
    expect(labels[0].x).toBeGreaterThan(150 + halfWidth);
    expect(labels[1].text).toBe('SYN 2 50° (rejected 80 %)');
    // Near the right edge the label goes to the left of the ellipse.
    expect(labels[1].anchor).toBe('end');
    expect(labels[1].x).toBeLessThan(390);
  });

  it('renders a PNG of the image size', async () => {
    const v = view(20, 1);
    const pixels = new Float32Array(400 * 300).map((_, i) => 100 + (i % 7));
    const image: Image = { width: 400, height: 300, luminance: pixels, pixels, channels: 1, bitDepth: 32, format: 'raw' };
    const png = await renderFieldOverlay(image, v, [galaxy(v, 30, { inclination: 60 })]);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 400, 300]);
  });
});
