#!/usr/bin/python3
"""Runs the reference star extractors on a synthetic frame and scores them like ours.

    /usr/bin/python3 scripts/bench/reference_extractors.py FRAME.fits TRUTH.csv PSF_SIGMA

Tools, each only when installed (Debian packages astrometry.net, python3-sep, source-extractor):
astrometry.net's image2xy, SEP, and SExtractor. Prints one JSON line per tool with wall time,
number found, completeness for SNR >= 10, centroid RMS for SNR > 50 and the false fraction,
scored with the same 2-px greedy matching as scripts/synth/starfield.ts.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np


def match(truth, found, radius=2.0):
    """Greedy: brightest truth first, nearest unused detection within radius."""
    used = np.zeros(len(found), bool)
    pairs = []
    if len(found) == 0:
        return pairs, used
    for ti, (tx, ty) in enumerate(truth[:, :2]):
        d2 = (found[:, 0] - tx) ** 2 + (found[:, 1] - ty) ** 2
        d2[used] = np.inf
        j = int(np.argmin(d2))
        if d2[j] <= radius * radius:
            used[j] = True
            pairs.append((ti, j))
    return pairs, used


def score(name, seconds, truth, found):
    pairs, used = match(truth, found)
    snr = truth[:, 2]
    bright = [(t, f) for t, f in pairs if snr[t] > 50]
    rms = float(np.sqrt(np.mean([(truth[t, 0] - found[f, 0]) ** 2 + (truth[t, 1] - found[f, 1]) ** 2 for t, f in bright]))) if bright else None
    detectable = int(np.sum(snr >= 10))
    got = sum(1 for t, _ in pairs if snr[t] >= 10)
    return {
        "tool": name,
        "seconds": seconds,
        "found": int(len(found)),
        "completenessSnr10": got / max(1, detectable),
        "centroidRmsSnr50": rms,
        "falseFraction": float(np.sum(~used)) / max(1, len(found)),
    }


def run_image2xy(fits, psf, work):
    out = os.path.join(work, "out.xy.fits")
    t = time.perf_counter()
    subprocess.run(["image2xy", "-O", "-w", str(psf), "-o", out, fits], check=True, capture_output=True)
    seconds = time.perf_counter() - t
    from astropy.io import fits as pyfits
    with pyfits.open(out) as h:
        data = h[1].data
        # image2xy writes FITS 1-based pixel coordinates
        found = np.column_stack([data["X"] - 1.0, data["Y"] - 1.0])
    return seconds, found


def run_sep(fits, psf, work):
    import sep
    from astropy.io import fits as pyfits
    with pyfits.open(fits) as h:
        data = np.ascontiguousarray(h[0].data.astype(np.float32))
    t = time.perf_counter()
    bkg = sep.Background(data)
    sub = data - bkg
    objects = sep.extract(sub, 1.5, err=bkg.globalrms)
    seconds = time.perf_counter() - t
    return seconds, np.column_stack([objects["x"], objects["y"]])


def run_sextractor(fits, psf, work):
    params = os.path.join(work, "sex.param")
    with open(params, "w") as f:
        f.write("X_IMAGE\nY_IMAGE\nFLUX_AUTO\n")
    catalog = os.path.join(work, "sex.cat")
    conv = "/usr/share/source-extractor/gauss_1.5_3x3.conv"
    t = time.perf_counter()
    subprocess.run(["source-extractor", fits, "-CATALOG_NAME", catalog, "-CATALOG_TYPE", "ASCII",
                    "-PARAMETERS_NAME", params, "-FILTER_NAME", conv, "-VERBOSE_TYPE", "QUIET"],
                   check=True, capture_output=True, cwd=work)
    seconds = time.perf_counter() - t
    rows = np.loadtxt(catalog, ndmin=2)
    return seconds, (rows[:, :2] - 1.0) if len(rows) else np.zeros((0, 2))


def main():
    fits, truth_csv, psf = sys.argv[1], sys.argv[2], float(sys.argv[3])
    truth = np.loadtxt(truth_csv, delimiter=",", ndmin=2)
    tools = []
    if shutil.which("image2xy"):
        tools.append(("astrometry.net image2xy", run_image2xy))
    try:
        import sep  # noqa: F401
        tools.append(("SEP", run_sep))
    except ImportError:
        pass
    if shutil.which("source-extractor"):
        tools.append(("SExtractor", run_sextractor))
    with tempfile.TemporaryDirectory() as work:
        for name, run in tools:
            try:
                seconds, found = run(fits, psf, work)
                print(json.dumps(score(name, seconds, truth, found)), flush=True)
            except Exception as e:  # a broken reference tool must not hide the others
                print(json.dumps({"tool": name, "error": str(e)}), flush=True)


if __name__ == "__main__":
    main()
