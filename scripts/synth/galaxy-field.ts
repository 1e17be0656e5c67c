/**
 * Synthetic wide-field frames with galaxies of known inclination: the end-to-end fixture of
 * `evaluateField()`. A frame is a {@link renderSkyFrame} sky (the default index's own Tycho-2
 * stars at a known TAN WCS) with disk galaxies added at chosen pixel positions, plus the
 * HyperLEDA-style CSV catalogue that lists them.
 *
 * The galaxies are drawn by the training generator itself (scripts/train/galaxies.py, through
 * ./galaxy-stamps.py run with /usr/bin/python3 and numpy), so the pipeline's cutouts show the
 * models the kind of disk they learnt on. Each stamp is drawn at the frame's pixel scale with the
 * major axis along its +x axis, and pasted through the sky: every frame pixel near the galaxy is
 * taken to the sky by the truth WCS, then into the galaxy's own tangent plane, turned by the
 * galaxy's position angle and sampled from the stamp. Rotation and parity of the frame are thus
 * handled the way the sky handles them, not by a pixel-space shortcut the pipeline could share.
 *
 * The frames have no radial distortion, so the truth WCS is exact everywhere: a galaxy's
 * catalogue position lands on the pixel where it was pasted, and the tests measure the
 * pipeline, not the solver's SIP fit (the solver's own tests cover distortion).
 *
 * @example
 * ```ts
 * const field = await renderGalaxyField({ seed: 5, center: { ra: 40, dec: -40 }, widthDeg: 2.4,
 *   galaxies: [{ pgc: 90000001, name: 'SYN 1', x: 300, y: 280, d25Arcmin: 8, pa: 30, inclination: 72, seed: 1 }] });
 * writeFileSync('synthetic.csv', field.catalogCsv);
 * ```
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pixelToSky, tanProject } from '../../lib/sky/tan.js';
import { renderSkyFrame, type SkyFrame, type SkyFrameOptions } from './sky-frame.js';

const stampScript = join(dirname(fileURLToPath(import.meta.url)), 'galaxy-stamps.py');

/** One galaxy to draw into a frame. */
export interface FieldGalaxySpec {
  /** PGC number written to the catalogue; use numbers no real galaxy has (≥ 90 000 000). */
  pgc: number;
  /** objname written to the catalogue. */
  name: string;
  /** Where its centre goes, frame pixels (may be near or just inside an edge). */
  x: number;
  y: number;
  /** D25, arcminutes. */
  d25Arcmin: number;
  /** Position angle of the major axis, degrees east of north. */
  pa: number;
  /** Inclination, degrees (90 = edge-on). */
  inclination: number;
  /** Seed of the generator's other choices (bulge, arms, bar, dust, flattening). */
  seed: number;
  /** Leave the PA column of this galaxy's catalogue row empty (the pipeline must measure it). */
  omitPa?: boolean;
}

/** Options of {@link renderGalaxyField}: the sky frame's, plus the galaxies. */
export interface GalaxyFieldOptions extends Omit<SkyFrameOptions, 'radialDistortion'> {
  galaxies: FieldGalaxySpec[];
  /**
   * Surface brightness at D25 in units of the frame's noise sigma (default 6): the generator's
   * 'snr' label, which it draws log-uniform over 1.5–12 for its training images.
   */
  galaxySnr?: number;
}

/** A galaxy as drawn: its spec plus where it is on the sky and in the frame. */
export interface DrawnGalaxy extends FieldGalaxySpec {
  ra: number;
  dec: number;
  /** D25 in frame pixels. */
  d25Pixels: number;
  /** What the generator drew besides the spec (intrinsic flattening q0, bulge fraction, …). */
  params: Record<string, number | boolean>;
}

/** A frame with galaxies, from {@link renderGalaxyField}. */
export interface GalaxyField extends SkyFrame {
  galaxies: DrawnGalaxy[];
  /**
   * The HyperLEDA-style catalogue of the galaxies: pgc, objname, al2000 (hours), de2000, logd25
   * (log10 of D25 in 0.1′), logr25 (log10 of major / minor) and pa; a galaxy with `omitPa` has
   * neither pa nor logr25.
   */
  catalogCsv: string;
}

interface Stamp {
  size: number;
  data: Float32Array;
  params: Record<string, number | boolean>;
}

/** Runs ./galaxy-stamps.py on the specs (one process for all of them). */
function renderStamps(specs: Array<{ seed: number; inclination: number; d25: number; psfSigma: number }>): Promise<Stamp[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [stampScript], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
    child.on('error', (e) => reject(new Error(`cannot run /usr/bin/python3 (the galaxy stamps need it, with numpy): ${e.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`galaxy-stamps.py failed (exit ${code}); it needs /usr/bin/python3 with numpy:\n${err}`));
        return;
      }
      const parsed = JSON.parse(Buffer.concat(out).toString('utf8')) as Array<{ size: number; data: string; params: Stamp['params'] }>;
      resolve(parsed.map(({ size, data, params }) => {
        const bytes = Buffer.from(data, 'base64');
        // Copy into an aligned buffer: a Buffer's offset in its pool need not be a multiple of 4.
        const floats = new Float32Array(size * size);
        new Uint8Array(floats.buffer).set(bytes);
        return { size, data: floats, params };
      }));
    });
    child.stdin.end(JSON.stringify(specs));
  });
}

function bilinear(stamp: Stamp, col: number, row: number): number {
  const n = stamp.size;
  if (!(col >= 0 && row >= 0 && col <= n - 1 && row <= n - 1)) return 0;
  const c0 = Math.min(n - 2, Math.floor(col)), r0 = Math.min(n - 2, Math.floor(row));
  const fc = col - c0, fr = row - r0;
  const d = stamp.data;
  const top = d[r0 * n + c0] * (1 - fc) + d[r0 * n + c0 + 1] * fc;
  const bottom = d[(r0 + 1) * n + c0] * (1 - fc) + d[(r0 + 1) * n + c0 + 1] * fc;
  return top * (1 - fr) + bottom * fr;
}

/**
 * Adds the stamp to the frame at the galaxy's sky position. Stamp axes: +x (columns) along the
 * position angle, up (decreasing rows) along PA + 90° — the sky as seen, turned, never mirrored,
 * as IncliNET's cutouts show it.
 */
function paste(frame: SkyFrame, galaxy: DrawnGalaxy, stamp: Stamp, amplitude: number): void {
  const { width, height, truth } = frame;
  const pixels = frame.image.luminance;
  const scaleDeg = truth.pixelScaleArcsec / 3600;
  const t = (galaxy.pa * Math.PI) / 180;
  const sin = Math.sin(t), cos = Math.cos(t);
  const centre = (stamp.size - 1) / 2;
  const reach = Math.ceil(centre * Math.SQRT2) + 2;
  for (let y = Math.max(0, Math.floor(galaxy.y - reach)); y <= Math.min(height - 1, Math.ceil(galaxy.y + reach)); y++) {
    for (let x = Math.max(0, Math.floor(galaxy.x - reach)); x <= Math.min(width - 1, Math.ceil(galaxy.x + reach)); x++) {
      const sky = pixelToSky(truth.wcs, x, y);
      const p = tanProject(galaxy, sky);
      if (!p) continue;
      // (p.x, p.y) = (east, north) offsets, degrees. Along the PA: (sin t, cos t); along PA + 90°: (cos t, −sin t).
      const along = (p.x * sin + p.y * cos) / scaleDeg;
      const across = (p.x * cos - p.y * sin) / scaleDeg;
      const v = bilinear(stamp, centre + along, centre - across);
      if (v > 0) pixels[y * width + x] += amplitude * v;
    }
  }
}

/**
 * Renders a sky frame (no radial distortion) and draws the galaxies into it.
 *
 * @returns the frame and truth of {@link renderSkyFrame}, the galaxies with their sky positions
 *   and pixel sizes, and the catalogue CSV text.
 * @throws Error when /usr/bin/python3 with numpy cannot run the generator.
 */
export async function renderGalaxyField(options: GalaxyFieldOptions): Promise<GalaxyField> {
  const { galaxies: specs, galaxySnr = 6, ...frameOptions } = options;
  const frame = await renderSkyFrame({ ...frameOptions, radialDistortion: 0 });
  const psfSigma = options.psfSigma ?? 1.5;
  const noise = options.noise ?? 10;
  const scaleArcmin = frame.truth.pixelScaleArcsec / 60;
  const drawn = specs.map((g) => ({ ...g, ...pixelToSky(frame.truth.wcs, g.x, g.y), d25Pixels: g.d25Arcmin / scaleArcmin, params: {} as DrawnGalaxy['params'] }));
  const stamps = await renderStamps(drawn.map((g) => ({ seed: g.seed, inclination: g.inclination, d25: g.d25Pixels, psfSigma })));
  drawn.forEach((g, i) => {
    g.params = stamps[i].params;
    paste(frame, g, stamps[i], galaxySnr * noise);
  });
  const rows = drawn.map((g) => {
    // The thin-disk axis ratio of the generator's 3-D body seen at the inclination (exact for its second moments).
    const i = (g.inclination * Math.PI) / 180, q0 = Number(g.params.q0);
    const logr25 = g.omitPa ? '' : (-Math.log10(Math.sqrt(Math.cos(i) ** 2 + q0 * q0 * Math.sin(i) ** 2))).toFixed(3);
    return [g.pgc, g.name, (g.ra / 15).toFixed(7), g.dec.toFixed(6), Math.log10(g.d25Arcmin * 10).toFixed(6), logr25, g.omitPa ? '' : g.pa.toFixed(1)].join(',');
  });
  return { ...frame, galaxies: drawn, catalogCsv: ['pgc,objname,al2000,de2000,logd25,logr25,pa', ...rows, ''].join('\n') };
}

/**
 * Sky centre of the standard fixture frames: high galactic latitude (b ≈ +41°), with no
 * OpenNGC or Stellarium galaxy of 2′ or more within 2° (checked against the default galaxy
 * catalogue), so the built-in catalogues add nothing above the 24-px limit. The default index
 * puts about 40 stars in such a frame, and the solver matches about 30 of them.
 */
export const FIXTURE_CENTER = { ra: 140, dec: 20 } as const;

/**
 * The galaxies of the standard fixture, by pixel position in a 1400 × 1050 frame 2.4° wide
 * (6.17″/px): D25 from 88 px down to 27 px, and one of 17.5 px below the 24-px limit; one whose
 * centre is 13 px inside the right edge (its cutout runs off the image); one with no PA in the
 * catalogue; inclinations 60°–88°. `pgcBase` + 1 … 7 are the PGC numbers.
 */
export function fixtureGalaxies(pgcBase: number): FieldGalaxySpec[] {
  const g = (k: number, rest: Omit<FieldGalaxySpec, 'pgc' | 'name'>): FieldGalaxySpec => ({ pgc: pgcBase + k, name: `SYN ${pgcBase + k - 90_000_000}`, ...rest });
  return [
    g(1, { x: 350, y: 300, d25Arcmin: 9, pa: 30, inclination: 75, seed: 1 }),
    g(2, { x: 1000, y: 250, d25Arcmin: 6.5, pa: 120, inclination: 60, seed: 2 }),
    g(3, { x: 700, y: 700, d25Arcmin: 4.5, pa: 165, inclination: 82, seed: 3, omitPa: true }),
    g(4, { x: 1100, y: 500, d25Arcmin: 4, pa: 140, inclination: 88, seed: 8 }),
    g(5, { x: 1386, y: 600, d25Arcmin: 3.2, pa: 80, inclination: 68, seed: 4 }),
    g(6, { x: 300, y: 850, d25Arcmin: 2.8, pa: 10, inclination: 65, seed: 5 }),
    g(7, { x: 1100, y: 850, d25Arcmin: 1.8, pa: 50, inclination: 70, seed: 6 }),
  ];
}

/**
 * The standard fixture: {@link fixtureGalaxies} in a 1400 × 1050 frame 2.4° wide at
 * {@link FIXTURE_CENTER}, turned by `rotationDeg` with the given parity.
 */
export function renderFixtureField(options: { rotationDeg: number; parity: 'normal' | 'flipped'; pgcBase: number; seed?: number }): Promise<GalaxyField> {
  return renderGalaxyField({
    seed: options.seed ?? 5, center: { ...FIXTURE_CENTER }, widthDeg: 2.4, width: 1400, height: 1050,
    rotationDeg: options.rotationDeg, parity: options.parity, galaxies: fixtureGalaxies(options.pgcBase),
  });
}
