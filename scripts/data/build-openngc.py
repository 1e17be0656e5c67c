#!/usr/bin/python3
"""Writes catalogs/openngc.json.gz: the OpenNGC catalogue of NGC/IC objects (plus the two
Messier objects outside NGC/IC, M 40 and M 45) in the column-oriented form that
lib/catalog/objects.ts reads.

Source: the SQLite catalogue that Debian's kstars-data package ships,
/usr/share/kstars/OpenNGC.kscat (KStars' conversion of OpenNGC release v20210306 by
Mattia Verga, https://github.com/mattiaverga/OpenNGC, CC-BY-SA-4.0). Standard library only.
Run from the repository root:

    /usr/bin/python3 scripts/data/build-openngc.py [path/to/OpenNGC.kscat] [output.json.gz]

Deterministic: rows sorted by catalogue identifier, fixed number formatting, gzip header
with mtime 0 and no file name, so rerunning on the same input gives identical bytes.

Output (one JSON object, every column has `count` entries, null where the source has none):
  source, licence, release, count, types (the type names, documented below)
  columns.type     object type name (see KSTARS_TYPES)
  columns.ra/dec   J2000 position, degrees, 6 decimals (0.004")
  columns.mag      magnitude as KStars gives it (OpenNGC's B magnitude, else V), 2 decimals
  columns.id       OpenNGC identifier, e.g. 'NGC0224', 'IC0002', 'M 40'
  columns.name     KStars display name: 'M 31' for Messier objects, else 'NGC 224' / 'IC 2'
  columns.aliases  list of common names and cross-identifications from KStars' long_name,
                   in source order, e.g. ['Andromeda Galaxy', 'PGC 2557', 'UGC 454', 'NGC 224']
  columns.pgc      PGC number parsed from the 'PGC n' alias
  columns.major/minor  axes, arcminutes, 2 decimals
  columns.pa       position angle of the major axis, degrees east of north

KStars type codes (the `type` column) are KStars' SkyObject::TYPE enum
(kstars/skyobjects/skyobject.h). Which OpenNGC types KStars' converter put in each code was
checked against the rows themselves and against OpenNGC's NGC.csv (for example IC0001 '**'
is 17, NGC2264 'Cl+N' is 5, NGC7114 'Nova' is 0, IC0700 'GGroup' is 14, IC0011 'Dup' and
IC0045 'Other' are 255). Counts are those of release v20210306.
"""
import gzip
import io
import json
import os
import re
import sqlite3
import sys

DEFAULT_SOURCE = '/usr/share/kstars/OpenNGC.kscat'
DEFAULT_OUTPUT = os.path.join('catalogs', 'openngc.json.gz')

# KStars code -> (our type name, OpenNGC types it holds; rows in v20210306)
KSTARS_TYPES = {
    0: ('star', '* star, Nova'),                                   # 546, e.g. NGC 1990 (Alnilam)
    3: ('open cluster', 'OCl'),                                    # 652
    4: ('globular cluster', 'GCl'),                                # 204
    5: ('nebula', 'HII, EmN, RfN, Neb, Cl+N (cluster with nebula)'),  # 287, e.g. M 42, NGC 2264
    6: ('planetary nebula', 'PN'),                                 # 129
    7: ('supernova remnant', 'SNR'),                               # 11, e.g. M 1, NGC 6960
    8: ('galaxy', 'G, GPair, GTrpl'),                              # 10724
    13: ('asterism', '*Ass association of stars, star clouds'),    # 60, e.g. M 24
    14: ('galaxy group', 'GGroup'),                                # 14, e.g. IC 700
    17: ('multiple star', '** double star'),                       # 246, e.g. M 40
    255: ('unknown', 'Dup duplicate entry, NonEx nonexistent, Other'),  # 1087, mostly without data; also M 73
}

PGC_RE = re.compile(r'^PGC\s+(\d+)$')


def number(value, decimals):
    """Rounded float, or int when integral (shorter JSON), or None."""
    if value is None:
        return None
    r = round(float(value), decimals)
    return int(r) if r == int(r) else r


def aliases_of(long_name):
    if not long_name:
        return []
    return [a.strip() for a in long_name.split(',') if a.strip()]


def pgc_of(aliases):
    for a in aliases:
        m = PGC_RE.match(a)
        if m:
            return int(m.group(1))
    return None


def build(source_path):
    db = sqlite3.connect('file:%s?mode=ro' % source_path, uri=True)
    name, licence, source_html = db.execute('SELECT name, license, source FROM catalogs WHERE id = 1').fetchone()
    m = re.search(r'releases/tag/([^\'"]+)', source_html or '')
    release = m.group(1) if m else None

    rows = db.execute(
        'SELECT catalog_identifier, type, ra, dec, magnitude, name, long_name, '
        'major_axis, minor_axis, position_angle FROM cat ORDER BY catalog_identifier'
    ).fetchall()
    db.close()

    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        raise SystemExit('catalog identifiers are not unique')
    unknown_types = sorted({r[1] for r in rows} - set(KSTARS_TYPES))
    if unknown_types:
        raise SystemExit('unmapped KStars type codes: %s' % unknown_types)

    cols = {k: [] for k in ('type', 'ra', 'dec', 'mag', 'id', 'name', 'aliases', 'pgc', 'major', 'minor', 'pa')}
    for ident, code, ra, dec, mag, display, long_name, major, minor, pa in rows:
        aliases = aliases_of(long_name)
        cols['type'].append(KSTARS_TYPES[code][0])
        cols['ra'].append(number(ra, 6))
        cols['dec'].append(number(dec, 6))
        cols['mag'].append(number(mag, 2))
        cols['id'].append(ident)
        cols['name'].append(display)
        cols['aliases'].append(aliases)
        cols['pgc'].append(pgc_of(aliases))
        cols['major'].append(number(major, 2))
        cols['minor'].append(number(minor, 2))
        cols['pa'].append(number(pa, 1))

    return {
        'source': '%s by Mattia Verga, https://github.com/mattiaverga/OpenNGC, '
                  'via KStars OpenNGC.kscat (Debian kstars-data)' % name,
        'licence': licence,
        'release': release,
        'count': len(rows),
        'types': [KSTARS_TYPES[k][0] for k in sorted(KSTARS_TYPES)],
        'columns': cols,
    }


def write_gzip(path, text):
    buf = io.BytesIO()
    with gzip.GzipFile(filename='', mode='wb', fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode('utf-8'))
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    with open(path, 'wb') as f:
        f.write(buf.getvalue())
    return len(buf.getvalue())


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    output = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_OUTPUT
    data = build(source)
    text = json.dumps(data, ensure_ascii=False, separators=(',', ':'), allow_nan=False)
    size = write_gzip(output, text)
    print('%s: %d objects, %d bytes JSON, %d bytes gzipped' % (output, data['count'], len(text.encode('utf-8')), size))


if __name__ == '__main__':
    main()
