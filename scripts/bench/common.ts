/** What every benchmark script starts with: its flags, and the addon it compares against. */
import { nativeAddon, type NativeAddon } from '../../lib/native/addon.js';

/** The command-line flags (`--quick`, `--json`, …) as a set. */
export const benchFlags = new Set(process.argv.slice(2));

/** The native addon, or exit with a hint: a native-vs-TypeScript benchmark needs both. */
export function requireAddon(): NativeAddon {
  const addon = nativeAddon();
  if (!addon) {
    console.error('the native addon is not built: run `npm install` (or `npm run build:native`) first');
    process.exit(1);
  }
  return addon;
}

/** A number to `digits` decimals, or '—' when it is not finite (nothing measured). */
export const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');

/** `n` of `of` as a whole percentage, or '—' when there is nothing to count. */
export const pct = (n: number, of: number): string => (of === 0 ? '—' : `${((100 * n) / of).toFixed(0)} %`);

/** A Markdown table printer writing through `out` (stdout, or stderr when the script prints JSON). */
export function tablePrinter(out: (line: string) => void): (header: string[], rows: Array<Array<string | number>>) => void {
  return (header, rows) => {
    out(`| ${header.join(' | ')} |`);
    out(`|${header.map(() => '---').join('|')}|`);
    for (const r of rows) out(`| ${r.join(' | ')} |`);
    out('');
  };
}
