#!/usr/bin/python3
"""Writes test/fixtures/healpix-reference.json: HEALPix values computed by healpy, the
reference implementation's Python wrapper, for test/sky-healpix.test.ts to compare against.

Needs numpy and healpy (Debian: apt-get install python3-healpy; the file was made with
healpy 1.16.1). Run from the repository root:

    /usr/bin/python3 scripts/data/make-healpix-reference.py

Deterministic: fixed seed, so rerunning with the same healpy gives the same file.
Contents:
  points:      unit vectors [x, y, z] (random, uniform on the sphere, plus poles and points
               near the RA wrap, the polar-cap boundary |z| = 2/3 and the face corners)
  perNside:    for each nside, per point: NESTED and RING index of the containing pixel,
               the NESTED pixel's centre, its 8 neighbours (healpy order SW, W, NW, N, NE,
               E, SE, S, -1 where missing) and, for the first CORNER_POINTS points, its corners
               (healpy boundaries(step=1) order)
  allPixels:   for small nside, every pixel: nest→ring and neighbours
  discs:       query_disc (nest) results, exact and inclusive, for a few discs
"""
import json
import os

import healpy as hp
import numpy as np

SEED = 20240611
RANDOM_POINTS = 200
CORNER_POINTS = 40
NSIDES = [1, 2, 4, 16, 256, 8192, 2**20, 2**24]
ALL_PIXEL_NSIDES = [1, 2, 4, 8]
OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'healpix-reference.json')


def radec_vec(ra_deg, dec_deg):
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return [float(np.cos(dec) * np.cos(ra)), float(np.cos(dec) * np.sin(ra)), float(np.sin(dec))]


def make_points(rng):
    pts = [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]]
    for ra, dec in [(359.9999999, 10.0), (0.0000001, -10.0), (359.99999999, 60.0), (180.0, 89.9999999),
                    (45.0, 89.99999), (300.0, -89.9999999), (12.0, 41.8103149), (12.0, 41.8103150),
                    (200.0, -41.8103149), (200.0, -41.8103150), (45.0000001, 0.0000001), (90.0000001, 41.81),
                    (134.9999999, -0.0000001), (270.0, 0.0)]:
        pts.append(radec_vec(ra, dec))
    v = rng.normal(size=(RANDOM_POINTS, 3))
    v /= np.linalg.norm(v, axis=1)[:, None]
    pts.extend([[float(c) for c in row] for row in v])
    return pts


def main():
    rng = np.random.default_rng(SEED)
    points = make_points(rng)
    xyz = np.array(points)
    per_nside = {}
    for nside in NSIDES:
        nest = hp.vec2pix(nside, xyz[:, 0], xyz[:, 1], xyz[:, 2], nest=True)
        ring = hp.vec2pix(nside, xyz[:, 0], xyz[:, 1], xyz[:, 2], nest=False)
        cx, cy, cz = hp.pix2vec(nside, nest, nest=True)
        neigh = hp.get_all_neighbours(nside, nest, nest=True).T
        corners = [hp.boundaries(nside, int(p), step=1, nest=True).T.tolist() for p in nest[:CORNER_POINTS]]
        per_nside[str(nside)] = {
            'nest': [int(p) for p in nest],
            'ring': [int(p) for p in ring],
            'centre': [[float(a), float(b), float(c)] for a, b, c in zip(cx, cy, cz)],
            'neighbours': [[int(q) for q in row] for row in neigh],
            'corners': corners,
        }
    all_pixels = {}
    for nside in ALL_PIXEL_NSIDES:
        pix = np.arange(hp.nside2npix(nside))
        all_pixels[str(nside)] = {
            'ring': [int(p) for p in hp.nest2ring(nside, pix)],
            'neighbours': [[int(q) for q in row] for row in hp.get_all_neighbours(nside, pix, nest=True).T],
        }
    discs = []
    for nside, ra, dec, radius_deg in [(8, 10.0, 20.0, 15.0), (8, 0.0, 90.0, 25.0), (32, 123.4, -56.7, 7.5),
                                       (32, 359.0, -1.0, 3.0), (16, 250.0, -85.0, 12.0), (64, 45.0, 41.81, 2.0)]:
        vec = radec_vec(ra, dec)
        radius = float(np.radians(radius_deg))
        discs.append({
            'nside': nside, 'centre': vec, 'radiusRad': radius,
            'exact': [int(p) for p in hp.query_disc(nside, vec, radius, inclusive=False, nest=True)],
            'inclusive': [int(p) for p in hp.query_disc(nside, vec, radius, inclusive=True, nest=True)],
        })
    data = {
        'source': f'healpy {hp.__version__}, scripts/data/make-healpix-reference.py, seed {SEED}',
        'points': points,
        'perNside': per_nside,
        'allPixels': all_pixels,
        'discs': discs,
    }
    with open(OUT, 'w') as f:
        json.dump(data, f, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
