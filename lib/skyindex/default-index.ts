/**
 * The index set shipped with asterism (indexes/default/, built by
 * scripts/data/build-default-index.ts from Tycho-2): what `solve()` searches when the caller
 * names no index. Loaded once per process and shared, since it is tens of megabytes.
 */
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import { loadIndex, type IndexSet } from './index-set.js';

/** Directory of the default index set inside the installed package. */
export const DEFAULT_INDEX_DIR: string = join(packageRoot, 'indexes', 'default');

let loading: Promise<IndexSet> | undefined;

/**
 * The default index set, loaded on first use (one read of each file, no other copy) and then
 * shared by every caller in the process.
 *
 * @example
 * ```ts
 * import { loadDefaultIndex } from 'asterism';
 * const set = await loadDefaultIndex();
 * console.log(set.subIndices.map((e) => e.index.meta.scaleLowerDeg));
 * ```
 * @throws AsterismError `E_IO` when the package's indexes/default directory is missing (a broken install).
 */
export function loadDefaultIndex(): Promise<IndexSet> {
  loading ??= loadIndex(DEFAULT_INDEX_DIR).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}
