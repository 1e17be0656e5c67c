/**
 * The Tycho-2 stars inside Debian's astrometry.net index packages
 * (astrometry-data-tycho2-07/08/09/10-19-littleendian: /usr/share/astrometry/index-tycho2-*.fits),
 * merged into one catalogue for building asterism's default index.
 *
 * Each index file holds a uniformised subset of Tycho-2, so a star appears in several files;
 * stars closer than DEDUP_ARCSEC are merged (the first one seen is kept, files in name order,
 * so the finest-scale file, which holds the most stars, comes first). Positions are the files'
 * quantised unit vectors (u32 per component: ~1e-4 arcsec); magnitudes their MAG_VT column.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readAnetIndex } from '../../lib/skyindex/anet.js';
import type { StarCatalog } from '../../lib/skyindex/catalog.js';
import { vecToRadec } from '../../lib/sky/vector.js';

/** Stars closer than this are the same star (astrometry.net's own uniformization dedups at 1 arcsec). */
const DEDUP_ARCSEC = 1;

/** Where one index file's stars went. */
export interface Tycho2Source {
  file: string;
  bytes: number;
  stars: number;
  /** Stars not already taken from an earlier file. */
  added: number;
}

/** The merged catalogue plus what it was made from. */
export interface Tycho2Extraction {
  catalog: StarCatalog;
  sources: Tycho2Source[];
  /** Stars dropped because their file gives no magnitude (the builder ranks by magnitude). */
  withoutMag: number;
}

/** Index files of Debian's Tycho-2 packages in `indexDir`, sorted by name. */
export function tycho2IndexFiles(indexDir: string): string[] {
  try {
    return readdirSync(indexDir).filter((f) => /^index-tycho2-.*\.fits$/.test(f)).sort().map((f) => join(indexDir, f));
  } catch {
    return [];
  }
}

/** Reads and merges the stars of every Tycho-2 index file in `indexDir`. */
export function extractTycho2Catalog(indexDir: string, log: (line: string) => void = () => {}): Tycho2Extraction {
  const files = tycho2IndexFiles(indexDir);
  if (files.length === 0) throw new Error(`no index-tycho2-*.fits files in ${indexDir} (apt-get install astrometry-data-tycho2-10-19-littleendian ...)`);
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
  const nearExisting = (x: number, y: number, z: number): boolean => {
    const cx = Math.floor(x / cell), cy = Math.floor(y / cell), cz = Math.floor(z / cell);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          for (const s of grid.get(keyOf(cx + dx, cy + dy, cz + dz)) ?? []) {
            const ex = xyz[3 * s] - x, ey = xyz[3 * s + 1] - y, ez = xyz[3 * s + 2] - z;
            if (ex * ex + ey * ey + ez * ez <= radiusSq) return true;
          }
        }
      }
    }
    return false;
  };
  const sources: Tycho2Source[] = [];
  let withoutMag = 0;
  for (const file of files) {
    const index = readAnetIndex(file);
    let added = 0;
    for (let j = 0; j < index.starCount; j++) {
      const x = index.stars[3 * j], y = index.stars[3 * j + 1], z = index.stars[3 * j + 2];
      if (nearExisting(x, y, z)) continue;
      const mag = index.mags ? index.mags[j] : NaN;
      if (!Number.isFinite(mag)) {
        withoutMag++;
        continue;
      }
      const id = mags.length;
      xyz.push(x, y, z);
      mags.push(mag);
      const key = keyOf(Math.floor(x / cell), Math.floor(y / cell), Math.floor(z / cell));
      const list = grid.get(key);
      if (list) list.push(id);
      else grid.set(key, [id]);
      added++;
    }
    sources.push({ file, bytes: statSync(file).size, stars: index.starCount, added });
    log(`${file}: ${index.starCount} stars, ${added} new`);
  }
  const n = mags.length;
  const ra = new Float64Array(n), dec = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const norm = Math.hypot(xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2]);
    const p = vecToRadec([xyz[3 * i] / norm, xyz[3 * i + 1] / norm, xyz[3 * i + 2] / norm]);
    ra[i] = p.ra;
    dec[i] = p.dec;
  }
  const source = `Tycho-2 stars of astrometry.net index files ${files.map((f) => f.replace(/^.*index-tycho2-|\.littleendian\.fits$/g, '')).join(',')}`;
  return { catalog: { ra, dec, mag: Float32Array.from(mags), source, skippedRows: withoutMag }, sources, withoutMag };
}
