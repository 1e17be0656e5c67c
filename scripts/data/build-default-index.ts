/**
 * Builds the default index set that asterism ships (indexes/default/): Tycho-2 stars taken out of
 * Debian's astrometry.net packages, one sub-index per √2 step of quad diameter, sized so the
 * whole set stays under 25 MB in the repository.
 *
 *   apt-get install astrometry-data-tycho2-07-littleendian astrometry-data-tycho2-08-littleendian \
 *     astrometry-data-tycho2-09-littleendian astrometry-data-tycho2-10-19-littleendian
 *   npx tsx scripts/data/build-default-index.ts [--index-dir /usr/share/astrometry] [--out indexes/default] [--force]
 *
 * Resumable: a sub-index whose file exists and was built with the same plan is kept, so an
 * interrupted run continues where it stopped (each sub-index takes seconds to a minute).
 * Writes manifest.json beside the files: the plan, the counts, the sizes and the provenance.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildSubIndexAsync, indexScaleSeries } from '../../lib/skyindex/build.js';
import { readContainer } from '../../lib/skyindex/container.js';
import type { SubIndexMeta } from '../../lib/skyindex/subindex.js';
import { writeSubIndex } from '../../lib/skyindex/subindex-file.js';
import { extractTycho2Catalog } from './tycho2-catalog.js';

/** Smallest and largest quad diameter of the series, degrees: images of about 1° to 30°+ (quads 0.1–1 × width). */
export const DEFAULT_SERIES_DEG: [number, number] = [0.5, 16];

/**
 * Build parameters per sub-index, finest first. The size budget is set by the finest scales
 * (cells ∝ 1/d²); HEALPix grids come in powers of two, so sub-indices pair up on one grid
 * (0.5° and 0.7° quads both on nside 128 stars... see quadNside in the manifest), and the second
 * of each pair, whose fields are twice as large in area, needs fewer stars per cell for the same
 * number of stars per image. Stars per image in the served widths stay about 10–40.
 */
const PLAN: Array<{ starsPerCell: number; passes: number }> = [
  { starsPerCell: 2, passes: 1 }, // 0.50–0.71°, nside 128
  { starsPerCell: 3, passes: 2 }, // 0.71–1.0°, nside 64
  { starsPerCell: 2, passes: 1 }, // 1.0–1.41°, nside 64
  { starsPerCell: 4, passes: 2 }, // 1.41–2.0°, nside 32
  { starsPerCell: 3, passes: 2 }, // 2.0–2.83°, nside 32
];
const COARSE_PLAN = { starsPerCell: 6, passes: 3 };
const MAX_STAR_USE = 8;

function planFor(i: number): { starsPerCell: number; passes: number; maxStarUse: number } {
  return { ...(PLAN[i] ?? COARSE_PLAN), maxStarUse: MAX_STAR_USE };
}

const { values } = parseArgs({
  options: {
    'index-dir': { type: 'string', default: '/usr/share/astrometry' },
    out: { type: 'string', default: 'indexes/default' },
    force: { type: 'boolean', default: false },
  },
});
const outDir = resolve(values.out!);
mkdirSync(outDir, { recursive: true });

function debianPackages(): string[] {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Package} ${Version}\\n', 'astrometry-data-tycho2*'], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return [];
  }
}

const started = performance.now();
const { catalog, sources } = extractTycho2Catalog(resolve(values['index-dir']!), (line) => console.log(line));
console.log(`${catalog.ra.length} stars after merging (${((performance.now() - started) / 1000).toFixed(1)} s)`);

const series = indexScaleSeries(...DEFAULT_SERIES_DEG);
const entries: Array<{ file: string; bytes: number; sha256: string; meta: SubIndexMeta; buildSeconds: number | null }> = [];
for (const [i, [lo, hi]] of series.entries()) {
  const plan = planFor(i);
  const file = `tycho2-${String(i).padStart(2, '0')}-${(lo * 60).toFixed(0)}-${(hi * 60).toFixed(0)}arcmin.idx`;
  const path = join(outDir, file);
  let buildSeconds: number | null = null;
  const existing = existsSync(path) && !values.force ? readContainer<SubIndexMeta>(readFileSync(path), path).meta : null;
  const same = existing && existing.starsPerCell === plan.starsPerCell && existing.passes === plan.passes &&
    existing.maxStarUse === plan.maxStarUse && existing.scaleLowerDeg === lo && existing.scaleUpperDeg === hi &&
    existing.catalog.stars === catalog.ra.length;
  if (same) {
    console.log(`${file}: kept (built earlier with the same plan)`);
  } else {
    const t = performance.now();
    let last = 0;
    const index = await buildSubIndexAsync(catalog, {
      scaleLowerDeg: lo, scaleUpperDeg: hi, indexId: i, ...plan,
      onProgress: (f, stage) => {
        if (performance.now() - last > 5000) {
          last = performance.now();
          console.log(`  ${file}: ${(f * 100).toFixed(0)}% ${stage}`);
        }
      },
    });
    // Write then rename, so an interrupted run never leaves a half-written file that looks built.
    writeFileSync(`${path}.part`, writeSubIndex(index));
    renameSync(`${path}.part`, path);
    buildSeconds = (performance.now() - t) / 1000;
    console.log(`${file}: ${index.meta.starCount} stars, ${index.meta.quadCount} quads, ${(index.meta.cellCoverage * 100).toFixed(1)}% of cells, ${(statSync(path).size / 1e6).toFixed(2)} MB, ${buildSeconds.toFixed(1)} s`);
  }
  const bytes = readFileSync(path);
  entries.push({
    file,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    meta: readContainer<SubIndexMeta>(bytes, path).meta,
    buildSeconds,
  });
}

const totalBytes = entries.reduce((n, e) => n + e.bytes, 0);
const manifest = {
  description: 'asterism default index: Tycho-2 stars from Debian astrometry.net packages, quads of 0.5°–16° for images about 1°–30°+ wide',
  tool: 'scripts/data/build-default-index.ts',
  built: new Date().toISOString(),
  totalBytes,
  catalog: {
    stars: catalog.ra.length,
    debianPackages: debianPackages(),
    sources: sources.map((s) => ({ ...s, file: basename(s.file) })),
    credit: 'Tycho-2 Catalogue (Høg et al. 2000, A&A 355, L27), in astrometry.net index files as packaged by Debian; BSD-2-Clause, see LICENSE.tycho2',
  },
  subIndices: entries.map((e) => ({
    file: e.file,
    bytes: e.bytes,
    sha256: e.sha256,
    quadDiameterDeg: [e.meta.scaleLowerDeg, e.meta.scaleUpperDeg],
    stars: e.meta.starCount,
    quads: e.meta.quadCount,
    starsPerCell: e.meta.starsPerCell,
    passes: e.meta.passes,
    quadNside: e.meta.quadNside,
    cellCoverage: e.meta.cellCoverage,
  })),
};
writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`\n${entries.length} sub-indices, ${(totalBytes / 1e6).toFixed(2)} MB in ${outDir} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
