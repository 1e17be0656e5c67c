/**
 * Extracts the stars of the Debian astrometry.net Tycho-2 indexes
 * (package astrometry-data-tycho2-10-19-littleendian: /usr/share/astrometry/index-tycho2-*.fits)
 * into one compact catalogue:
 *
 *   data/tycho2-stars.bin   records of 20 bytes, little-endian: float64 RA (deg, 0 ≤ RA < 360),
 *                           float64 Dec (deg), float32 magnitude (MAG_VT; NaN when absent),
 *                           sorted by magnitude, brightest first (NaN last)
 *   data/tycho2-stars.json  the layout, counts, magnitude range, sky coverage and provenance
 *
 * Each index holds a uniformised subset of Tycho-2, so a star appears in several files; stars
 * closer than DEDUP_ARCSEC are merged (the first one seen is kept, files in name order).
 * Positions are the indexes' quantised unit vectors (u32 per component: ~1e-4 arcsec).
 *
 * Usage: npx tsx scripts/data/extract-tycho2-stars.ts [index-dir] [out-dir]
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readAnetIndex } from '../../lib/skyindex/anet.js';
import { pixelCount, pixelSizeDeg, vecToPixel } from '../../lib/sky/healpix.js';

/** Stars closer than this are the same star (astrometry.net's own uniformization dedups at 1 arcsec). */
const DEDUP_ARCSEC = 1;
const RECORD_BYTES = 20;
/** HEALPix resolutions at which the sky coverage is reported. */
const COVERAGE_NSIDES = [16, 64, 256];

const indexDir = resolve(process.argv[2] ?? '/usr/share/astrometry');
const outDir = resolve(process.argv[3] ?? 'data');

const files = readdirSync(indexDir).filter((f) => /^index-tycho2-.*\.fits$/.test(f)).sort();
if (files.length === 0) {
  console.error(`no index-tycho2-*.fits files in ${indexDir}`);
  process.exit(1);
}

// Merging: a hash grid over unit vectors with cells a little larger than the merge radius, so
// a neighbour is always in the same or an adjacent cell.
const radius = (DEDUP_ARCSEC / 3600) * (Math.PI / 180);
const radiusSq = radius * radius;
const cell = 2 * radius;
const span = Math.ceil(1 / cell) + 2;
const keyOf = (ix: number, iy: number, iz: number) => ((ix + span) * (2 * span + 1) + (iy + span)) * (2 * span + 1) + (iz + span);
const grid = new Map<number, number[]>();

const xyz: number[] = [];
const mags: number[] = [];
const sources: { file: string; indexId: number; stars: number; added: number; bytes: number }[] = [];

function nearExisting(x: number, y: number, z: number): boolean {
  const cx = Math.floor(x / cell);
  const cy = Math.floor(y / cell);
  const cz = Math.floor(z / cell);
  for (let dx = -1; dx <= 1; dx++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dz = -1; dz <= 1; dz++) {
        const list = grid.get(keyOf(cx + dx, cy + dy, cz + dz));
        if (list === undefined) continue;
        for (const s of list) {
          const ex = xyz[3 * s] - x;
          const ey = xyz[3 * s + 1] - y;
          const ez = xyz[3 * s + 2] - z;
          if (ex * ex + ey * ey + ez * ez <= radiusSq) return true;
        }
      }
    }
  }
  return false;
}

for (const file of files) {
  const path = join(indexDir, file);
  const index = readAnetIndex(path);
  let added = 0;
  for (let j = 0; j < index.starCount; j++) {
    const x = index.stars[3 * j];
    const y = index.stars[3 * j + 1];
    const z = index.stars[3 * j + 2];
    if (nearExisting(x, y, z)) continue;
    const id = mags.length;
    xyz.push(x, y, z);
    mags.push(index.mags ? index.mags[j] : NaN);
    const key = keyOf(Math.floor(x / cell), Math.floor(y / cell), Math.floor(z / cell));
    const list = grid.get(key);
    if (list) list.push(id);
    else grid.set(key, [id]);
    added++;
  }
  sources.push({ file: path, indexId: index.indexId, stars: index.starCount, added, bytes: statSync(path).size });
  console.log(`${file}: ${index.starCount} stars, ${added} new`);
}

const count = mags.length;
const order = Array.from({ length: count }, (_, i) => i);
order.sort((a, b) => (Number.isNaN(mags[a]) ? 1 : 0) - (Number.isNaN(mags[b]) ? 1 : 0) || mags[a] - mags[b] || a - b);

const out = new Uint8Array(count * RECORD_BYTES);
const view = new DataView(out.buffer);
let magMin = Infinity;
let magMax = -Infinity;
let noMag = 0;
const covered = COVERAGE_NSIDES.map(() => new Set<number>());
order.forEach((s, k) => {
  const x = xyz[3 * s];
  const y = xyz[3 * s + 1];
  const z = xyz[3 * s + 2];
  const norm = Math.hypot(x, y, z);
  let ra = (Math.atan2(y, x) * 180) / Math.PI;
  if (ra < 0) ra += 360;
  if (ra >= 360) ra -= 360;
  const dec = (Math.asin(Math.max(-1, Math.min(1, z / norm))) * 180) / Math.PI;
  view.setFloat64(k * RECORD_BYTES, ra, true);
  view.setFloat64(k * RECORD_BYTES + 8, dec, true);
  view.setFloat32(k * RECORD_BYTES + 16, mags[s], true);
  if (Number.isNaN(mags[s])) noMag++;
  else {
    magMin = Math.min(magMin, mags[s]);
    magMax = Math.max(magMax, mags[s]);
  }
  COVERAGE_NSIDES.forEach((nside, i) => covered[i].add(vecToPixel(nside, [x / norm, y / norm, z / norm])));
});

const coverage = COVERAGE_NSIDES.map((nside, i) => ({
  nside,
  cells: pixelCount(nside),
  cellSizeDeg: Number(pixelSizeDeg(nside).toFixed(4)),
  occupied: covered[i].size,
  fraction: Number((covered[i].size / pixelCount(nside)).toFixed(6)),
}));

mkdirSync(outDir, { recursive: true });
const binPath = join(outDir, 'tycho2-stars.bin');
writeFileSync(binPath, out);
const sidecar = {
  description: 'Union of the stars in the astrometry.net Tycho-2 index files, deduplicated',
  file: basename(binPath),
  format: {
    recordBytes: RECORD_BYTES,
    byteOrder: 'little-endian',
    fields: [
      { name: 'ra', type: 'float64', offset: 0, unit: 'deg', note: 'ICRS as in the index files, 0 <= ra < 360' },
      { name: 'dec', type: 'float64', offset: 8, unit: 'deg' },
      { name: 'mag', type: 'float32', offset: 16, unit: 'mag', note: 'Tycho VT (MAG_VT column of the indexes); NaN when absent' },
    ],
    sortedBy: 'mag ascending (NaN last)',
  },
  count,
  starsWithoutMag: noMag,
  magMin,
  magMax,
  dedupRadiusArcsec: DEDUP_ARCSEC,
  coverage,
  provenance: {
    package: 'Debian astrometry-data-tycho2-10-19-littleendian',
    tool: 'scripts/data/extract-tycho2-stars.ts',
    created: new Date().toISOString(),
    sources,
  },
};
writeFileSync(join(outDir, 'tycho2-stars.json'), `${JSON.stringify(sidecar, null, 2)}\n`);

console.log(`\n${count} stars (${sources.reduce((n, s) => n + s.stars, 0)} before merging within ${DEDUP_ARCSEC} arcsec)`);
console.log(`magnitudes ${magMin.toFixed(3)} .. ${magMax.toFixed(3)}${noMag ? `, ${noMag} without` : ''}`);
for (const c of coverage) console.log(`coverage at HEALPix nside ${c.nside} (${c.cells} cells of ~${c.cellSizeDeg} deg): ${(100 * c.fraction).toFixed(2)}%`);
console.log(`wrote ${binPath} (${out.length} bytes) and tycho2-stars.json`);
