/**
 * Galaxy names as people type them: the keys under which the galaxy catalogue (./galaxies.ts)
 * files every name, so that 'M31', 'm 31', 'Messier 31', 'NGC 224', 'NGC0224' and 'Andromeda'
 * all lead to the same entry.
 *
 * A key ignores case, spaces, accents, apostrophes, full stops and the zero padding of numbers
 * (HyperLEDA writes 'NGC0224', 'PGC002557', KStars 'NGC 224'); 'Messier' is read as 'M' and
 * 'LEDA' as 'PGC'. Common names are also filed without a leading 'the' and a trailing
 * 'Galaxy'/'Galaxies', so 'Sombrero' finds 'Sombrero Galaxy' and 'Guitar' finds 'the Guitar'.
 */

/** Catalogue prefixes written in more than one way, mapped to the form the keys use. */
const PREFIX_SYNONYMS: ReadonlyArray<[RegExp, string]> = [
  [/^MESSIER(?=\d)/, 'M'],
  [/^LEDA(?=\d)/, 'PGC'],
];

/**
 * The lookup key of a name: upper case, without accents, white space, apostrophes, full stops,
 * hyphens between letters and leading zeros of numbers. Hyphens and signs next to digits are
 * kept ('ESO 123-45', '2MASX J00424433+4116074' stay distinct from their neighbours).
 *
 * @example
 * ```ts
 * nameKey('NGC 0224') === nameKey('ngc224');   // 'NGC224'
 * nameKey("Bode's Galaxy");                    // 'BODESGALAXY'
 * ```
 */
export function nameKey(name: string): string {
  // Fast path for the commonest form, a prefix and a number ('PGC 12345', 'NGC 224'): the
  // catalogue keys some 300 000 names on its first name lookup.
  const simple = /^([A-Za-z]+) (\d+)$/.exec(name);
  if (simple) return synonym(simple[1].toUpperCase() + simple[2].replace(/^0+(?=\d)/, ''));
  // Most names are ASCII; decomposing accents is only needed for the others.
  const ascii = /^[\x00-\x7f]*$/.test(name) ? name : name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const key = ascii
    .toUpperCase()
    .replace(/['’`.]/g, '')
    .replace(/\s+/g, '')
    .replace(/(?<=[A-Z])[-_](?=[A-Z])/g, '')
    .replace(/(^|[^0-9])0+(?=\d)/g, '$1');
  return synonym(key);
}

function synonym(key: string): string {
  for (const [pattern, replacement] of PREFIX_SYNONYMS) key = key.replace(pattern, replacement);
  return key;
}

/** Catalogue designations: a known prefix followed by a number (also 'UGC A 293', 'IC 2431 NED02', Caldwell's 'C 60'). */
const DESIGNATION = /^(?:M|C|NGC|IC|PGC|LEDA|UGC|UGC ?A|ESO|MCG|CGCG|IRAS|2MASX|SDSS|MRK|ARP|VV|KUG|ABELL|HCG)\s*[-+]?\d/i;

/** True when `name` is a catalogue designation ('NGC 224', 'UGC A 293') rather than a common name ('Andromeda Galaxy'). */
export function isDesignation(name: string): boolean {
  return DESIGNATION.test(name.trim());
}

/**
 * Further keys for a common name: without a leading 'the' and without a trailing 'Galaxy' or
 * 'Galaxies' ('Sombrero Galaxy' → SOMBRERO, 'the Guitar' → GUITAR, 'Antennae Galaxies' →
 * ANTENNAE). Empty for designations and when nothing would be left.
 */
export function commonNameVariants(name: string): string[] {
  if (isDesignation(name)) return [];
  const key = nameKey(name);
  const variants = new Set<string>();
  const withoutThe = key.startsWith('THE') && key.length > 3 ? key.slice(3) : key;
  for (const k of [key, withoutThe]) {
    const stripped = k.replace(/GALAX(?:Y|IES)$/, '');
    if (stripped.length > 0) variants.add(stripped);
    variants.add(k);
  }
  variants.delete(key);
  return [...variants];
}

/** The PGC number a query names ('PGC 2557', 'pgc002557', 'LEDA 2557', '2557'), or null. */
export function pgcOfQuery(query: string): number | null {
  const m = /^\s*(?:(?:PGC|LEDA)\s*)?0*(\d+)\s*$/i.exec(query);
  if (!m) return null;
  const pgc = Number(m[1]);
  return Number.isSafeInteger(pgc) && pgc > 0 ? pgc : null;
}

/**
 * Display order of a galaxy's names after its display name: Messier, NGC, IC and Caldwell
 * designations, then common names, then PGC, then the other catalogues, each group in source order.
 */
export function nameRank(name: string): number {
  if (/^(?:M|NGC|IC|C)\s*\d/i.test(name)) return 0;
  if (!isDesignation(name)) return 1;
  if (/^PGC\s*\d/i.test(name)) return 2;
  return 3;
}
