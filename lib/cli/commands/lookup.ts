/** `asterism lookup`: a galaxy by PGC number or name, with IncliNET's framing of it. */
import type { Galaxy, InclinetGalaxy, LoadGalaxyCatalogOptions } from '../../catalog/galaxy-types.js';
import { isAsterismError } from '../../errors.js';
import { formatDecDms, formatRaHms } from '../../sky/sexagesimal.js';
import { EXIT, type Command, type CommandArgs, type CommandContext } from '../main.js';

const SOURCE_NAMES: Record<Galaxy['source'], string> = { openngc: 'OpenNGC', stellarium: 'Stellarium', user: 'user catalogue' };

function text(g: Galaxy, framing: InclinetGalaxy | null): string {
  const size = g.majorArcmin === null ? 'unknown'
    : `${g.majorArcmin}′${g.minorArcmin === null ? '' : ` × ${g.minorArcmin}′`}${g.positionAngle === null ? ', position angle unknown' : `, position angle ${g.positionAngle}°`}`;
  const record = framing === null
    ? 'no size in the catalogue, so no field of view (give logd25 in a --catalog file)'
    : `pgc ${framing.pgc ?? '-'}, objname '${framing.objname}', ra ${framing.ra}, dec ${framing.dec}, fov ${framing.fov}′, pa ${framing.pa}°`;
  return [
    `${g.name}${g.pgc === null || g.name === `PGC ${g.pgc}` ? '' : ` (PGC ${g.pgc})`}`,
    `  IncliNET   ${record}`,
    `  type       ${g.type}`,
    `  position   RA ${formatRaHms(g.ra)}  Dec ${formatDecDms(g.dec)}  (${g.ra}°, ${g.dec}°, J2000)`,
    `  D25        ${size}`,
    `  magnitude  ${g.mag ?? 'unknown'}`,
    `  names      ${g.names.join(', ')}`,
    `  source     ${SOURCE_NAMES[g.source]}`,
    '',
  ].join('\n');
}

async function run(args: CommandArgs, { stdout, stderr }: CommandContext): Promise<number> {
  const query = args.positionals.join(' ');
  const options: LoadGalaxyCatalogOptions = { userCatalogs: args.strings('catalog') };
  if (args.flag('no-stellarium')) options.stellarium = false;
  const { findGalaxy, inclinetFraming, loadGalaxyCatalog } = await import('../../catalog/galaxies.js');
  const catalog = await loadGalaxyCatalog(options);
  let galaxy: Galaxy;
  try {
    galaxy = findGalaxy(catalog, query);
  } catch (e) {
    if (isAsterismError(e) && e.code === 'E_NOT_FOUND') {
      stderr.write(`asterism: ${e.message} (${e.code})\n`);
      return EXIT.noResult;
    }
    throw e;
  }
  const framing = galaxy.majorArcmin === null ? null : inclinetFraming(galaxy);
  if (args.flag('json')) {
    const record = framing ?? { pgc: galaxy.pgc, objname: galaxy.name, ra: galaxy.ra, dec: galaxy.dec, fov: null, pa: galaxy.positionAngle ?? 0 };
    stdout.write(`${JSON.stringify({ ...record, galaxy })}\n`);
  } else {
    stdout.write(text(galaxy, framing));
  }
  return EXIT.ok;
}

/** `asterism lookup <pgc|name>`. */
export const lookupCommand: Command = {
  name: 'lookup',
  summary: 'find a galaxy by PGC number or name and print IncliNET\'s framing of it',
  description:
    'Looks a galaxy up in the galaxy catalogue (OpenNGC\'s galaxies, Stellarium\'s PGC galaxies when stellarium-data ' +
    'is installed, and any --catalog files) by PGC number (2557, PGC 2557) or name: Messier, NGC, IC, UGC and other ' +
    'designations with or without spaces and zero padding (M31, NGC0224, UGC 454), or a common name (Andromeda, ' +
    'Sombrero). Prints IncliNET\'s record for it (pgc, objname, ra, dec, fov = 1.5 × D25 in arcminutes, pa in degrees) ' +
    'with its names, size, magnitude and source. Exit status 1 when no galaxy matches.',
  positionals: [{ name: 'pgc|name', description: 'a PGC number or a galaxy name; several words are joined (lookup M 31)', variadic: true }],
  options: {
    json: { type: 'boolean', description: 'print one JSON object: IncliNET\'s {pgc, objname, ra, dec, fov, pa} (fov null without a size) and the catalogue entry as galaxy' },
    catalog: { type: 'string', value: 'file.csv', multiple: true, description: 'a HyperLEDA-style table (pgc, objname, al2000 hours or ra degrees, de2000/dec, logd25, pa) whose entries take precedence; repeat for more' },
    'no-stellarium': { type: 'boolean', description: 'leave out Stellarium\'s catalogue even when it is installed' },
  },
  examples: [
    'asterism lookup M31',
    'asterism lookup 2557 --json',
    'asterism lookup Sombrero',
    'asterism lookup NGC4565 --catalog my-galaxies.csv',
  ],
  run,
};
