/**
 * How well an index set covers images of a given width, before any solving: for random
 * pointings and rotations over the whole sky, the number of index stars inside a square field
 * and the number of complete quads (all stars inside the field) of the sub-indices chosen for
 * that width. A blind solve needs at least one complete quad whose stars the image also shows,
 * and enough stars to verify it; this is the ceiling any solver reaches with the index.
 *
 *   npx tsx scripts/bench/index-coverage.bench.ts [index paths...] [--fields N] [--json]
 *
 * Without paths it measures the shipped default set (indexes/default).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_INDEX_DIR } from '../../lib/skyindex/default-index.js';
import { loadIndex } from '../../lib/skyindex/index-set.js';
import { rangeSearch } from '../../lib/skyindex/kdtree.js';
import { starVector } from '../../lib/skyindex/subindex.js';
import { tanProject } from '../../lib/sky/tan.js';
import { angleToChordSq, degToRad, radecToVec } from '../../lib/sky/vector.js';
import { createRng } from '../synth/random.js';

const { values, positionals } = parseArgs({ options: { fields: { type: 'string', default: '300' }, json: { type: 'boolean', default: false } }, allowPositionals: true });
const fields = Number(values.fields);
const set = await loadIndex(positionals.length ? positionals : DEFAULT_INDEX_DIR);
const WIDTHS = [0.7, 1, 1.4, 2, 3, 5, 8, 12, 20, 30];
const rng = createRng(31);

// Quads by star, so the quads touching a field are found from its stars.
const quadsOfStar = set.subIndices.map(({ index }) => {
  const k = index.meta.dimQuads;
  const byStar = new Map<number, number[]>();
  for (let q = 0; q < index.meta.quadCount; q++) {
    const a = index.quads[q * k];
    const list = byStar.get(a);
    if (list) list.push(q);
    else byStar.set(a, [q]);
  }
  return byStar;
});

const quantile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const rows = [];
for (const width of WIDTHS) {
  const chosen = set.select(width, width);
  const starsIn: number[] = [], quadsIn: number[] = [];
  for (let f = 0; f < fields; f++) {
    const ra = rng.uniform(0, 360), dec = (Math.asin(rng.uniform(-1, 1)) * 180) / Math.PI;
    const theta = rng.uniform(0, 2 * Math.PI), c = Math.cos(theta), s = Math.sin(theta);
    const centre = radecToVec(ra, dec);
    const half = width / 2;
    let stars = 0, quads = 0;
    for (const entry of chosen) {
      const { index } = entry;
      const byStar = quadsOfStar[set.subIndices.indexOf(entry)];
      const near = rangeSearch(index.stars, Float64Array.from(centre), Math.sqrt(angleToChordSq(degToRad(half * Math.SQRT2 * 1.01))));
      const inside = new Set<number>();
      for (const t of near) {
        const p = tanProject(centre, starVector(index, t));
        if (!p) continue;
        const u = c * p.x - s * p.y, v = s * p.x + c * p.y;
        if (Math.abs(u) <= half && Math.abs(v) <= half) inside.add(t);
      }
      stars = Math.max(stars, inside.size);
      const k = index.meta.dimQuads;
      for (const a of inside) {
        for (const q of byStar.get(a) ?? []) {
          let all = true;
          for (let j = 1; j < k; j++) if (!inside.has(index.quads[q * k + j])) all = false;
          if (all) quads++;
        }
      }
    }
    starsIn.push(stars);
    quadsIn.push(quads);
  }
  rows.push({
    widthDeg: width,
    subIndices: chosen.length,
    starsMedian: quantile(starsIn, 0.5),
    quadsMedian: quantile(quadsIn, 0.5),
    quadsP10: quantile(quadsIn, 0.1),
    fieldsWithQuad: quadsIn.filter((q) => q > 0).length / fields,
    fieldsWith5Quads: quadsIn.filter((q) => q >= 5).length / fields,
  });
}

if (values.json) console.log(JSON.stringify(rows, null, 2));
else {
  console.log(`\nIndex coverage: ${fields} random square fields per width; ${set.subIndices.length} sub-indices\n`);
  console.log('| width | sub-indices | index stars in field (median) | complete quads (median / 10th pct) | fields with ≥ 1 quad | with ≥ 5 quads |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.widthDeg}° | ${r.subIndices} | ${r.starsMedian} | ${r.quadsMedian} / ${r.quadsP10} | ${(100 * r.fieldsWithQuad).toFixed(1)} % | ${(100 * r.fieldsWith5Quads).toFixed(1)} % |`);
  }
}
