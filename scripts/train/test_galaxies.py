"""Checks of the synthetic galaxy generator: /usr/bin/python3 scripts/train/test_galaxies.py"""
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import galaxies  # noqa: E402


def moments(img):
    """Axial ratio and position angle (deg, counter-clockwise from +x with y down
    the rows) from the second moments of a non-negative image."""
    w = np.clip(img, 0, None)
    y, x = np.indices(w.shape)
    f = w.sum()
    cx, cy = (w * x).sum() / f, (w * y).sum() / f
    xx = (w * (x - cx) ** 2).sum() / f
    yy = (w * (y - cy) ** 2).sum() / f
    xy = (w * (x - cx) * (y - cy)).sum() / f
    lam = np.linalg.eigvalsh(np.array([[xx, xy], [xy, yy]]))
    return math.sqrt(lam[0] / lam[1]), math.degrees(0.5 * math.atan2(2 * xy, xx - yy))


def bare_disk(inclination, q0, rotation=0.0):
    rng = np.random.default_rng(0)
    p = galaxies.draw_params(rng, 128, 0.0)
    p.update(inclination=inclination, q0=q0, rotation=rotation, zoom=1.0, offset=np.zeros(2),
             a25_h=4.5, r_trunc=4.0, bulge_fraction=0.0, has_bar=False, flaws=[])
    img, _ = galaxies.render(p, 128, clean=True, components=())
    return img[1]


def test_determinism_and_shards():
    a, la = galaxies.generate(6, 11)
    b, lb = galaxies.generate(6, 11)
    assert a.tobytes() == b.tobytes()
    c1, l1 = galaxies.generate(2, 11)
    c2, l2 = galaxies.generate(4, 11, start=2)
    assert np.array_equal(np.concatenate([c1, c2]), a)
    assert np.array_equal(np.concatenate([l1["inclination"], l2["inclination"]]), la["inclination"])
    assert list(np.concatenate([l1["reason"], l2["reason"]])) == list(la["reason"])
    d, _ = galaxies.generate(6, 12)
    assert d.tobytes() != a.tobytes()


def test_shapes():
    imgs, labels = galaxies.generate(3, 1)
    assert imgs.shape == (3, 128, 128, 3) and imgs.dtype == np.uint8
    for k in ("inclination", "reject", "reason", "q0", "bulge_fraction", "n_arms", "has_bar",
              "psf_fwhm", "snr", "style", "flaws"):
        assert len(labels[k]) == 3, k
    assert labels["reject"].dtype == bool
    small, _ = galaxies.generate(2, 1, size=64)
    assert small.shape == (2, 64, 64, 3)


def test_axial_ratio_of_bare_disk():
    worst = 0.0
    for q0 in (0.1, 0.2):
        for inc in (0.0, 30.0, 50.0, 65.0, 75.0, 85.0, 90.0):
            q, pa = moments(bare_disk(inc, q0))
            c, s = math.cos(math.radians(inc)), math.sin(math.radians(inc))
            expect = math.sqrt(c * c + q0 * q0 * s * s)
            worst = max(worst, abs(q - expect))
            assert abs(q - expect) < 0.03, (inc, q0, q, expect)
            if inc >= 30:
                assert abs(pa) < 0.5, (inc, pa)
    print(f"  bare disk: worst |q - sqrt(cos^2 i + q0^2 sin^2 i)| = {worst:.4f}")


def test_major_axis_horizontal():
    # the frame's residual rotation is the only thing that tilts the major axis
    # (position angles here are measured with rows pointing down, hence the sign)
    for rot in (-5.0, 0.0, 3.0):
        q, pa = moments(bare_disk(70.0, 0.15, rotation=rot))
        assert abs(pa + rot) < 0.3, (rot, pa)
    checked = 0
    for k in range(30):
        img, p = galaxies.make_image(4, k, bad_fraction=0.0, clean=True)
        if p["inclination"] > 60:
            q, pa = moments(img[1])
            assert abs(pa + p["rotation"]) < 2.0, (k, pa, p["rotation"])
            assert abs(p["rotation"]) <= 6.0
            checked += 1
    assert checked >= 5


def test_reject_labels():
    imgs, labels = galaxies.generate(300, 7, size=32, bad_fraction=0.3)
    inc, rej, reason = labels["inclination"], labels["reject"], labels["reason"]
    flaws = labels["flaws"]
    assert np.all(rej[inc < 45])
    assert np.all(rej == (reason != ""))
    assert np.all(rej == (flaws != ""))
    not_sp = np.array(["not-spiral" in f for f in flaws])
    assert np.all(reason[(inc < 45) & ~not_sp] == "face-on")
    good_range = inc >= 45
    bad = rej & good_range
    frac = bad.sum() / good_range.sum()
    assert 0.18 < frac < 0.42, frac
    for r in galaxies.BAD_REASONS:
        assert (reason == r).sum() > 0, r
    assert set(np.unique(reason)) <= {""} | set(galaxies.REASON_ORDER)
    assert set(np.unique(labels["style"])) == set(galaxies.STYLES)
    snr = labels["snr"]
    assert np.all(snr[~np.array(["faint" in f for f in flaws])] >= 1.5)


def test_throughput():
    n = 60
    t, c = time.perf_counter(), time.process_time()
    galaxies.generate(n, 99)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"  throughput: {n / wall:.1f} images/s wall, {n / cpu:.1f} per CPU second (128x128, one process)")


if __name__ == "__main__":
    t0 = time.perf_counter()
    for name, fn in list(globals().items()):
        if name.startswith("test_") and callable(fn):
            fn()
            print(f"ok {name}")
    print(f"all passed in {time.perf_counter() - t0:.1f} s")
