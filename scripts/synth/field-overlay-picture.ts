/**
 * Makes docs/field-overlay.png: `evaluateField()`'s overlay of the standard synthetic galaxy field
 * (./galaxy-field.ts, the mirrored frame of test/evaluate-field.test.ts), shrunk to 800 px and
 * stored with a 16-colour palette without dithering so it stays small.
 *
 *   npx tsx scripts/synth/field-overlay-picture.ts [out.png]
 *
 * Needs /usr/bin/python3 with numpy (the galaxies are drawn by scripts/train/galaxies.py).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { loadGalaxyCatalog } from '../../lib/catalog/galaxies.js';
import { closeIncline } from '../../lib/incline/incline.js';
import { evaluateField } from '../../lib/pipeline/evaluate-field.js';
import { renderFixtureField } from './galaxy-field.js';

const out = resolve(process.argv[2] ?? 'docs/field-overlay.png');
const dir = mkdtempSync(join(tmpdir(), 'asterism-field-picture-'));
try {
  const field = await renderFixtureField({ rotationDeg: -40, parity: 'flipped', pgcBase: 90000010 });
  const csv = join(dir, 'synthetic.csv');
  writeFileSync(csv, field.catalogCsv);
  const catalog = await loadGalaxyCatalog({ userCatalogs: [csv], openngc: false, stellarium: false });
  const result = await evaluateField(field.image, { catalog, overlay: true, overlayMaxSize: 800 });
  await sharp(result.overlayPng!).png({ palette: true, colours: 16, dither: 0, compressionLevel: 9, effort: 10 }).toFile(out);
  for (const g of result.galaxies) {
    const truth = field.galaxies.find((t) => t.pgc === g.pgc)!;
    console.log(`${g.name}: D25 ${g.d25Pixels.toFixed(1)} px, inclination ${g.inclinations.summary.median}° (true ${truth.inclination}°), rejection ${g.rejection_likelihood.summary.median} %`);
  }
  console.log(`wrote ${out}`);
} finally {
  await closeIncline();
  rmSync(dir, { recursive: true, force: true });
}
