#!/usr/bin/python3
"""Writes test/fixtures/wcs-reference.json: pixel -> sky values computed by astropy.wcs for a
few TAN and TAN-SIP headers, for test/sky-wcs.test.ts to compare lib/sky/wcs.ts against.

Needs numpy and astropy (Debian: apt-get install python3-astropy; the file was made with
astropy 5.2.1). Run from the repository root:

    /usr/bin/python3 scripts/data/make-wcs-reference.py

The headers are written out below (made up, shaped like solve-field's .wcs output: SIP of
orders 2 to 4 with inverse terms, a field at the north celestial pole, one across RA = 0
described with CDELT + PC, a plain TAN with CDELT + CROTA2 and one with LONPOLE = 150). Pixels are asterism pixel
coordinates (first pixel's centre at 0, 0), so astropy is called with origin 0.

Deterministic: fixed seed. Contents:
  astropyVersion
  cases: [{ name, header: [[keyword, value], ...], pixels: [[x, y], ...], sky: [[ra, dec], ...] }]

The script then checks the other direction, which the test cannot do without astropy: it runs
lib/sky/wcs.ts (through tsx) to read each header with wcsFromFitsCards, write it back with
writeWcsHeaderFile, and to fit a TAN-SIP WCS with fitWcs to pairs from each case; astropy must
read every written file and give the same pixel -> sky as the original header (or, for the
fitted WCS, as wcsPixelToSky) to 1e-9 degrees. It exits non-zero when a check fails.
"""
import json
import os
import subprocess
import sys
import tempfile
import warnings

import astropy
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

SEED = 20240612
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'wcs-reference.json')
TOLERANCE_DEG = 1e-9


def sip_case():
    """Order-2 SIP, inverse order 3, as solve-field writes for a 2048 x 1536 frame at ~1.2"/px."""
    return 'sip2-solve-field', 2048, 1536, [
        ('CTYPE1', 'RA---TAN-SIP'), ('CTYPE2', 'DEC--TAN-SIP'),
        ('EQUINOX', 2000.0), ('LONPOLE', 180.0), ('LATPOLE', 0.0),
        ('CRVAL1', 150.1183227), ('CRVAL2', 2.20533816),
        ('CRPIX1', 1011.37295532), ('CRPIX2', 790.918853760),
        ('CUNIT1', 'deg'), ('CUNIT2', 'deg'),
        ('CD1_1', -3.3179437e-4), ('CD1_2', 2.1731e-6), ('CD2_1', -2.18932e-6), ('CD2_2', -3.31709e-4),
        ('IMAGEW', 2048), ('IMAGEH', 1536),
        ('A_ORDER', 2), ('A_0_0', 0), ('A_0_1', 0), ('A_0_2', 3.81e-7), ('A_1_0', 0), ('A_1_1', -1.226e-6), ('A_2_0', 5.09e-7),
        ('B_ORDER', 2), ('B_0_0', 0), ('B_0_1', 0), ('B_0_2', -8.4e-7), ('B_1_0', 0), ('B_1_1', 4.55e-7), ('B_2_0', 1.37e-6),
        ('AP_ORDER', 3), ('AP_0_0', -1.02e-4), ('AP_0_1', 2.1e-8), ('AP_0_2', -3.81e-7), ('AP_1_0', 1.3e-8),
        ('AP_1_1', 1.226e-6), ('AP_2_0', -5.09e-7), ('AP_0_3', 1.1e-12), ('AP_3_0', -4e-13),
        ('BP_ORDER', 3), ('BP_0_0', 6.3e-5), ('BP_0_1', 1.0e-8), ('BP_0_2', 8.4e-7), ('BP_1_0', -2e-9),
        ('BP_1_1', -4.55e-7), ('BP_2_0', -1.37e-6), ('BP_2_1', 3e-13),
    ]


def pole_case():
    """Order-3 SIP near the north celestial pole, mirrored (det CD > 0), rotated ~120 degrees."""
    s = 2.0 / 3600
    c, n = np.cos(np.radians(120)), np.sin(np.radians(120))
    return 'sip3-pole-flipped', 3000, 2000, [
        ('CTYPE1', 'RA---TAN-SIP'), ('CTYPE2', 'DEC--TAN-SIP'),
        ('CRVAL1', 45.0), ('CRVAL2', 89.7),
        ('CRPIX1', 1500.5), ('CRPIX2', 1000.5),
        ('CD1_1', s * c), ('CD1_2', -s * n), ('CD2_1', -s * n), ('CD2_2', -s * c),
        ('IMAGEW', 3000), ('IMAGEH', 2000),
        ('A_ORDER', 3), ('A_2_0', 2e-7), ('A_1_1', -4e-7), ('A_0_2', 1e-7), ('A_3_0', 8e-10), ('A_1_2', 8e-10),
        ('B_ORDER', 3), ('B_2_0', -1e-7), ('B_1_1', 3e-7), ('B_0_2', 2e-7), ('B_2_1', 8e-10), ('B_0_3', 8e-10),
    ]


def exact_pole_case():
    """Order-2 SIP with the tangent point exactly at the pole (the RA of CRVAL fixes the axes)."""
    s = 5.0 / 3600
    return 'sip2-exact-pole', 1000, 1000, [
        ('CTYPE1', 'RA---TAN-SIP'), ('CTYPE2', 'DEC--TAN-SIP'),
        ('CRVAL1', 30.0), ('CRVAL2', 90.0),
        ('CRPIX1', 480.0), ('CRPIX2', 520.0),
        ('CD1_1', -s), ('CD1_2', 0.0), ('CD2_1', 0.0), ('CD2_2', s),
        ('A_ORDER', 2), ('A_2_0', 5e-7), ('A_0_2', -3e-7),
        ('B_ORDER', 2), ('B_1_1', 6e-7),
    ]


def ra_wrap_case():
    """Order-4 SIP described with CDELT + PC, a 4000 x 3000 field at 1"/px centred just west of RA 0."""
    t = np.radians(-25)
    return 'sip4-ra-wrap-pc', 4000, 3000, [
        ('CTYPE1', 'RA---TAN-SIP'), ('CTYPE2', 'DEC--TAN-SIP'),
        ('CRVAL1', 359.98), ('CRVAL2', -30.0),
        ('CRPIX1', 2000.5), ('CRPIX2', 1500.5),
        ('CDELT1', -1.0 / 3600), ('CDELT2', 1.0 / 3600),
        ('PC1_1', np.cos(t)), ('PC1_2', -np.sin(t)), ('PC2_1', np.sin(t)), ('PC2_2', np.cos(t)),
        ('IMAGEW', 4000), ('IMAGEH', 3000),
        ('A_ORDER', 4), ('A_2_0', 1e-7), ('A_0_2', 1e-7), ('A_3_0', 2e-10), ('A_1_2', 2e-10), ('A_4_0', 3e-14),
        ('A_2_2', 6e-14), ('A_0_4', 3e-14),
        ('B_ORDER', 4), ('B_1_1', -2e-7), ('B_2_1', 2e-10), ('B_0_3', 2e-10), ('B_4_0', 3e-14), ('B_2_2', 6e-14),
        ('B_0_4', 3e-14),
    ]


def crota_case():
    """Plain TAN with the AIPS CDELT + CROTA2 convention, far south."""
    return 'tan-crota2', 1200, 800, [
        ('CTYPE1', 'RA---TAN'), ('CTYPE2', 'DEC--TAN'),
        ('CRVAL1', 201.365063), ('CRVAL2', -60.0),
        ('CRPIX1', 600.0), ('CRPIX2', 400.0),
        ('CDELT1', -2.5 / 3600), ('CDELT2', 2.5 / 3600), ('CROTA2', 37.5),
    ]


def lonpole_case():
    """Plain TAN with a LONPOLE other than 180 (the intermediate axes turned by 30 degrees)."""
    return 'tan-lonpole-150', 1000, 800, [
        ('CTYPE1', 'RA---TAN'), ('CTYPE2', 'DEC--TAN'),
        ('CRVAL1', 83.82), ('CRVAL2', -5.39), ('LONPOLE', 150.0),
        ('CRPIX1', 500.5), ('CRPIX2', 400.5),
        ('CD1_1', -4e-4), ('CD1_2', 1e-5), ('CD2_1', 2e-5), ('CD2_2', 4e-4),
    ]


def pixels_for(rng, width, height):
    xs = np.linspace(-0.5, width - 0.5, 7)
    ys = np.linspace(-0.5, height - 0.5, 7)
    grid = [(float(x), float(y)) for x in xs for y in ys]
    rand = [(float(rng.uniform(-0.1, 1.1) * width), float(rng.uniform(-0.1, 1.1) * height)) for _ in range(30)]
    return grid + rand


def astropy_wcs(header_cards):
    h = fits.Header()
    h['NAXIS'] = 2
    for k, v in header_cards:
        h[k] = v
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        return WCS(h)


def pix2world(w, pixels):
    p = np.array(pixels)
    sky = w.all_pix2world(p, 0)
    return [[float(r), float(d)] for r, d in sky]


def max_sep_deg(a, b):
    a, b = np.radians(np.array(a)), np.radians(np.array(b))
    va = np.stack([np.cos(a[:, 1]) * np.cos(a[:, 0]), np.cos(a[:, 1]) * np.sin(a[:, 0]), np.sin(a[:, 1])], 1)
    vb = np.stack([np.cos(b[:, 1]) * np.cos(b[:, 0]), np.cos(b[:, 1]) * np.sin(b[:, 0]), np.sin(b[:, 1])], 1)
    return float(np.degrees(np.max(np.linalg.norm(va - vb, axis=1))))


# Runs in tsx: for each case, read the header with wcsFromFitsCards and write it back with
# writeWcsHeaderFile; fit a TAN-SIP WCS to pairs made from the astropy values and write that too.
TS_CHECK = r"""
import { readFileSync, writeFileSync } from 'node:fs';
import { fitWcs, wcsFromFitsCards, wcsPixelToSky, writeWcsHeaderFile } from '%(wcs)s';
const [input, dir] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(input, 'utf8')).cases;
const out = [];
for (const c of cases) {
  const wcs = wcsFromFitsCards(c.header.map(([keyword, value]) => ({ keyword, value })));
  const read = `${dir}/${c.name}.wcs`;
  writeFileSync(read, writeWcsHeaderFile(wcs));
  const pairs = c.pixels.map(([x, y], i) => ({ x, y, ra: c.sky[i][0], dec: c.sky[i][1] }));
  const { wcs: fitted } = fitWcs(pairs, {
    crpix: wcs.crpix, sipOrder: 3, imageWidth: wcs.imageWidth, imageHeight: wcs.imageHeight,
  });
  const fit = `${dir}/${c.name}-fit.wcs`;
  writeFileSync(fit, writeWcsHeaderFile(fitted));
  out.push({ name: c.name, read, fit, fitSky: c.pixels.map(([x, y]) => { const s = wcsPixelToSky(fitted, x, y); return [s.ra, s.dec]; }) });
}
console.log(JSON.stringify(out));
"""


def check_written_files(cases):
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        input_path = os.path.join(tmp, 'cases.json')
        with open(input_path, 'w') as f:
            json.dump({'cases': cases}, f)
        script = os.path.join(tmp, 'check.mts')
        with open(script, 'w') as f:
            f.write(TS_CHECK % {'wcs': os.path.join(ROOT, 'lib', 'sky', 'wcs.ts')})
        tsx = os.path.join(ROOT, 'node_modules', '.bin', 'tsx')
        result = subprocess.run([tsx, script, input_path, tmp], cwd=ROOT, capture_output=True, text=True, check=True)
        written = {r['name']: r for r in json.loads(result.stdout)}
        for c in cases:
            r = written[c['name']]
            for label, path, want in [('read back', r['read'], c['sky']), ('fitted', r['fit'], r['fitSky'])]:
                with warnings.catch_warnings():
                    warnings.simplefilter('error')
                    # Every header-only file (NAXIS = 0, as solve-field's .wcs) draws this one.
                    warnings.filterwarnings('ignore', message='The WCS transformation has more axes')
                    w = WCS(fits.getheader(path))
                got = pix2world(w, c['pixels'])
                err = max_sep_deg(got, want)
                ok = err < TOLERANCE_DEG
                failures += not ok
                print('%-20s %-9s astropy reads writeWcsHeaderFile output: max difference %.3g deg %s'
                      % (c['name'], label, err, 'ok' if ok else 'FAIL'))
    return failures


def main():
    rng = np.random.default_rng(SEED)
    cases = []
    for make in [sip_case, pole_case, exact_pole_case, ra_wrap_case, crota_case, lonpole_case]:
        name, width, height, header = make()
        header = [(k, float(v) if isinstance(v, (np.floating, float)) else v) for k, v in header]
        pixels = pixels_for(rng, width, height)
        sky = pix2world(astropy_wcs(header), pixels)
        cases.append({'name': name, 'header': [[k, v] for k, v in header], 'pixels': [list(p) for p in pixels], 'sky': sky})
    with open(OUT, 'w') as f:
        json.dump({'astropyVersion': astropy.__version__, 'cases': cases}, f, indent=1)
        f.write('\n')
    print('wrote %s (%d cases)' % (os.path.relpath(OUT, ROOT), len(cases)))
    failures = check_written_files(cases)
    sys.exit(1 if failures else 0)


if __name__ == '__main__':
    main()
