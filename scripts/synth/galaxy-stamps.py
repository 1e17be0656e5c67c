"""Clean galaxy stamps from the training generator, for pasting into synthetic sky frames.

    /usr/bin/python3 scripts/synth/galaxy-stamps.py < specs.json > stamps.json

Input (stdin): a JSON list of stamps to draw, each
    {"seed": int, "inclination": deg, "d25": pixels, "psfSigma": pixels}.
Output (stdout): a JSON list, one entry per spec, each
    {"size": n, "data": base64 of n*n little-endian float32, row-major, "params": {...}}.

Each stamp is one galaxy exactly as scripts/train/galaxies.py draws its training disks
(draw_params, then render_galaxy: 3-D disk, bulge, bar, arms, knots, dust), so the pipeline's
cutouts show the models what they were trained on, with these changes:
- the parameters come from draw_params with no bad case, and the inclination, scale length,
  framing (no rotation, zoom 1, centred) are set from the spec;
- only the geometry is kept: no sky noise, stars, neighbours, stretch or JPEG (the sky frame
  supplies its own noise and stars, and the cutout its own stretch);
- one grey band (r), in units of the surface brightness at D25 (the generator's SB25), so the
  caller sets the galaxy's brightness relative to its sky noise as the generator's 'snr' does;
- a Gaussian PSF of the frame's width (pixels of the frame: the stamp is drawn at the frame's
  pixel scale).
The major axis lies along +x (columns) and the stamp is square, its centre pixel
((size - 1) / 2) the galaxy's centre. The stamp spans 1.7 D25 (the generator's disks are
truncated at 4-5.5 scale lengths, D25 / 2 being 3.5-4.5: up to 0.79 D25 from the centre) plus
the generator's own padding, so no light is cut off.

Deterministic: a spec's seed fixes every random choice (numpy's PCG64 stream).
"""
from __future__ import annotations

import base64
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "train"))
import galaxies  # noqa: E402  (the training generator; read-only here)

STAMP_D25 = 1.7  # stamp side in units of D25, before the generator's padding


def stamp(spec):
    d25 = float(spec["d25"])
    rng = np.random.default_rng([int(spec["seed"]), 0])
    inner = int(math.ceil(STAMP_D25 * d25 / 2)) * 2
    p = galaxies.draw_params(rng, inner, bad_fraction=0.0)
    p["flaws"] = []
    p["inclination"] = float(spec["inclination"])
    p["h"] = d25 / (2.0 * p["a25_h"])
    p["rotation"] = 0.0
    p["zoom"] = 1.0
    p["offset"] = np.zeros(2)
    p["colours"] = galaxies.galaxy_colours(p)
    img = galaxies.render_galaxy(p, inner)[1].astype(np.float64)  # r band, with PAD on each side
    n = img.shape[0]
    sigma = float(spec.get("psfSigma", 0.0))
    if sigma > 0:
        f = np.fft.fftfreq(n)
        transfer = np.exp(-2.0 * (math.pi * sigma) ** 2 * (f[:, None] ** 2 + f[None, :] ** 2))
        img = np.fft.irfft2(np.fft.rfft2(img) * transfer[:, : n // 2 + 1], s=(n, n))
    img = np.maximum(img, 0.0) / galaxies.SB25
    data = img.astype("<f4").tobytes()
    params = {k: (float(p[k]) if isinstance(p[k], (float, np.floating)) else p[k])
              for k in ("inclination", "q0", "a25_h", "h", "bulge_fraction", "n_arms", "has_bar", "tau0")}
    params["has_bar"] = bool(params["has_bar"])
    params["n_arms"] = int(params["n_arms"])
    return {"size": n, "data": base64.b64encode(data).decode("ascii"), "params": params}


def main():
    specs = json.load(sys.stdin)
    json.dump([stamp(s) for s in specs], sys.stdout)


if __name__ == "__main__":
    main()
