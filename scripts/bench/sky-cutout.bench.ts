/**
 * skyCutout() speed: milliseconds per 128 × 128 cutout from a 4000 × 4000 image, for galaxies
 * of growing size on the image (the cost follows the source pixels averaged over), in a 16-bit
 * grey image and an 8-bit RGB one, with a rotated WCS and a turned cutout as the pipeline asks.
 *
 *   npx tsx scripts/bench/sky-cutout.bench.ts [--quick] [--json]
 */
import { benchFlags } from './common.js';
import { skyCutout } from '../../lib/cutout/sky-cutout.js';
import type { Image } from '../../lib/image/image.js';
import { loadImage } from '../../lib/image/load.js';
import type { Wcs } from '../../lib/sky/wcs.js';
import { createRng } from '../synth/random.js';

const quick = benchFlags.has('--quick');
const asJson = benchFlags.has('--json');
const SIDE = 4000;
const SCALE_ARCSEC = 1;
const RUNS = quick ? 5 : 20;

/** 4000 × 4000 pixels, 1″/px, turned by 30°, mirrored (row 0 at the top, as a JPEG). */
const wcs: Wcs = (() => {
  const s = SCALE_ARCSEC / 3600, r = (30 * Math.PI) / 180;
  return { crval: [150, 20], crpix: [(SIDE - 1) / 2, (SIDE - 1) / 2], cd: [[-s * Math.cos(r), s * Math.sin(r)], [-s * Math.sin(r), -s * Math.cos(r)]] };
})();

async function image16(): Promise<Image> {
  const rng = createRng(7);
  const data = new Uint16Array(SIDE * SIDE);
  for (let i = 0; i < data.length; i++) data[i] = 1000 + Math.round(30 * rng.normal());
  return loadImage({ data, width: SIDE, height: SIDE, channels: 1 });
}

async function image8(): Promise<Image> {
  const rng = createRng(8);
  const data = new Uint8Array(SIDE * SIDE * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng.uniform(0, 256));
  return loadImage({ data, width: SIDE, height: SIDE, channels: 3 });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1];
}

const rows: Array<{ image: string; fieldPixels: number; msPerCutout: number }> = [];
for (const [name, make] of [['16-bit grey', image16], ['8-bit RGB', image8]] as const) {
  const image = await make();
  for (const fieldPixels of [200, 1000, 4000]) {
    const request = { ra: 150, dec: 20, fovArcmin: (fieldPixels * SCALE_ARCSEC) / 60, majorAxisPa: 37, size: 128 };
    skyCutout({ image, wcs }, request);
    const times: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const t0 = performance.now();
      skyCutout({ image, wcs }, request);
      times.push(performance.now() - t0);
    }
    rows.push({ image: name, fieldPixels, msPerCutout: Math.round(median(times) * 100) / 100 });
  }
}

if (asJson) {
  console.log(JSON.stringify(rows));
} else {
  console.log(`skyCutout, 128 × 128 from a ${SIDE} × ${SIDE} image, median of ${RUNS} runs`);
  console.log('image         field (px)   ms per cutout');
  for (const r of rows) console.log(`${r.image.padEnd(13)} ${String(r.fieldPixels).padStart(10)}   ${r.msPerCutout.toFixed(2).padStart(13)}`);
}
