"""Synthetic SDSS-like cutouts of disk galaxies with known inclination (numpy only).

    from galaxies import generate
    images, labels = generate(n, seed, size=128, bad_fraction=0.25)

Each image i is drawn from its own generator seeded by (seed, start + i), so
generate(n, seed) equals the concatenation of generate(k, seed, start=...) shards.

The physics, in the order it is applied:

Disk (3-D). Old stars: exponential in radius (scale length h, soft truncation at
R_t = 4-5.5 h) times sech^2(z/z0) vertically. The intrinsic axial ratio q0
(normal around 0.17, clipped to 0.08-0.30) is the ratio of second moments
<z^2>/<x^2> of that 3-D body, so a bare disk seen at inclination i has
second-moment axial ratio q^2 = cos^2 i + q0^2 sin^2 i exactly. Spiral arms
(2-4, logarithmic, pitch 10-30 deg, random winding sense) modulate the old disk
weakly and carry a thinner (0.4 z0), bluer young disk with star-forming knots;
some disks have a Ferrers bar that the arms start from.
Projection: the emissivity is separable, j = S(x, y) f(z), so the integral along
each line of sight is exact without marching along rays: the face-on map S is
compressed by cos i into a thin sheet by integrating its cumulative sum over each
pixel (flux-conserving, exact at 90 deg), then convolved along the minor axis
with the vertical profile stretched by sin i.
Dust: a thin layer (scale height 0.45 z0, scale length 1.0-1.4 h, concentrated
on the inner edge of the arms, face-on central tau_r 0.2-3) projected in the same
way gives the optical depth tau of every line of sight. Emission is split by
height into the part in front of the dust layer (unattenuated), inside it
(mixed: (1 - e^-tau)/tau) and behind it (e^-tau): the sandwich model of Disney,
Davies & Phillipps (1989), which makes the near side of an inclined disk darker.
Bulge: Sersic (n 1-4, B/T 0-0.6, intrinsic flattening 0.6-0.95 projected like
the disk); the fraction of its light behind the dust midplane along each line of
sight is that of an r^-3 spheroid, 0.5 (1 - s/sqrt(b^2 + s^2)), with s the
midplane crossing.
Colours (g, r, i fluxes relative to r): old disk g-r 0.55, r-i 0.30; bulge 0.75,
0.40; young disk and knots -0.05, -0.15; each with 0.08 mag scatter; extinction A_g:A_r:A_i =
1.43:1:0.73 (R_V = 3.1).

Imaging: framing as IncliNET's cutouts (a square of 1.5 D25, D25 = 2 x
(3.5-4.5) h, major axis horizontal, residual rotation N(0, 2.5 deg) clipped at
6 deg, zoom 0.87-1.13, small off-centring); neighbouring galaxies and
foreground stars; Moffat or Gaussian PSF (FWHM 1-4 px, slightly wider in g);
sky noise with surface brightness at D25 / sigma_sky (the 'snr' label) log-
uniform 1.5-12; colour composite as SDSS's jpegs (Lupton et al. 2004 asinh,
Q = 20, B G R = g r i with weights set by eye against SDSS cutouts), or one band as grey (asinh or log stretch) or inverted grey;
JPEG compression as JPEG does it (YCbCr, 4:2:0 chroma, 8x8 DCT, libjpeg
quality tables), quality 55-95.

Inclination is drawn uniform in i over 0-90 deg (not uniform in cos i as the
sky gives them): half the images are in the 45-90 deg range the regressors
learn, with a flat label distribution there.

reject = True when i < 45 deg ('face-on') or for a bad case; a fraction
bad_fraction of all images is made bad, the reason chosen uniformly from
'faint' (S/N at D25 0.15-0.5, or 0.5-1.5 with JPEG quality 3-9), 'star' (a bright star on
the disk), 'not-spiral' (an elliptical: Sersic only), 'merger' (a second disk
galaxy overlapping) and 'cut-off' (centre shifted so the disk leaves the frame).
labels['reason'] is the first of not-spiral, face-on, faint, star, merger,
cut-off that applies; labels['flaws'] lists them all, joined by '+'.

Run `python3 galaxies.py --samples out.png --seed 3` for a contact sheet.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np

INCLINATION_REJECT_BELOW = 45.0  # deg: IncliNET's human graders reject more face-on disks
FRAME_D25 = 1.5  # cutout side in units of D25, as IncliNET's SDSS cutouts
SB25 = 0.0158  # nanomaggies per SDSS pixel at 25 mag/arcsec^2 (r), so the SDSS stretch applies
SDSS_SCALES = np.array([5.6, 3.4, 2.45])  # g, r, i -> B, G, R weights: set by eye so that, as in SDSS jpegs, bulges and ellipticals look yellow and disks blue-white
SDSS_Q = 20.0
EXTINCTION = np.array([1.43, 1.0, 0.73])  # A_g, A_r, A_i relative to A_r, R_V = 3.1
BAD_REASONS = ("faint", "star", "not-spiral", "merger", "cut-off")
REASON_ORDER = ("not-spiral", "face-on", "faint", "star", "merger", "cut-off")
STYLES = ("colour", "grey", "inverted")
STYLE_WEIGHTS = (0.6, 0.25, 0.15)
PAD = 8  # px around the frame rendered so the PSF sees light just outside it

# colours as flux ratios (g/r, 1, i/r) from g-r and r-i
def _colour(g_r, r_i):
    return np.array([10 ** (-0.4 * g_r), 1.0, 10 ** (0.4 * r_i)])


OLD_COLOUR = (0.55, 0.30)
BULGE_COLOUR = (0.75, 0.40)
YOUNG_COLOUR = (-0.05, -0.15)


# ---------------------------------------------------------------- parameters

def draw_params(rng, size, bad_fraction):
    """Every random choice for one image, as a flat dict of scalars."""
    p = {}
    p["inclination"] = float(rng.uniform(0.0, 90.0))
    flaws = []
    if p["inclination"] < INCLINATION_REJECT_BELOW:
        flaws.append("face-on")
    if rng.random() < bad_fraction:
        flaws.append(BAD_REASONS[rng.integers(len(BAD_REASONS))])
    p["flaws"] = flaws
    a25 = rng.uniform(3.5, 4.5)  # D25 / 2 in scale lengths
    p["a25_h"] = a25
    p["h"] = size / (FRAME_D25 * 2.0 * a25)  # px
    p["r_trunc"] = rng.uniform(4.0, 5.5)
    p["q0"] = float(np.clip(rng.normal(0.17, 0.04), 0.08, 0.30))
    bt = rng.uniform(0.0, 0.6) * rng.random() ** 0.3 if rng.random() > 0.1 else 0.0
    p["bulge_fraction"] = bt
    p["bulge_n"] = rng.uniform(1.0, 4.0)
    p["bulge_re_h"] = rng.uniform(0.15, 0.35) * (1.0 + 1.2 * bt)
    p["bulge_q"] = rng.uniform(0.6, 0.95)
    p["has_bar"] = bool(rng.random() < 0.35)
    p["bar_len_h"] = rng.uniform(0.8, 1.8)
    p["bar_axis"] = rng.uniform(0.25, 0.45)
    p["bar_angle"] = rng.uniform(0, np.pi)
    p["bar_frac"] = rng.uniform(0.05, 0.15)
    p["n_arms"] = int(rng.choice([2, 2, 2, 3, 4]))
    p["pitch"] = rng.uniform(10.0, 30.0)
    p["arm_sharp"] = rng.uniform(1.5, 6.0)
    p["arm_old_contrast"] = rng.uniform(0.1, 0.45)
    p["young_frac"] = rng.uniform(0.12, 0.4)
    p["young_h"] = rng.uniform(1.0, 1.4)
    p["arm_phase"] = rng.uniform(0, 2 * np.pi)
    p["winding"] = float(rng.choice([-1.0, 1.0]))
    p["arm_wobble"] = rng.uniform(0.0, 0.5)
    p["arm_wobble_k"] = rng.uniform(1.0, 3.0)
    p["arm_wobble_ph"] = rng.uniform(0, 2 * np.pi)
    p["n_knots"] = int(rng.integers(5, 80))
    p["knot_frac"] = rng.uniform(0.05, 0.35)
    p["tau0"] = float(np.exp(rng.uniform(np.log(0.2), np.log(3.0))))
    p["dust_h"] = rng.uniform(1.0, 1.4)
    p["colour_jitter"] = rng.normal(0.0, 0.08, size=(3, 2))
    p["floc_seed"] = int(rng.integers(2**31))
    # framing
    p["rotation"] = float(np.clip(rng.normal(0.0, 2.5), -6.0, 6.0))  # deg
    p["zoom"] = rng.uniform(0.87, 1.13)
    p["offset"] = rng.normal(0.0, 0.02 * size, size=2)
    # imaging
    p["psf_fwhm"] = float(np.exp(rng.uniform(np.log(1.0), np.log(4.0))))
    p["psf_moffat"] = bool(rng.random() < 0.7)
    p["psf_beta"] = rng.uniform(2.5, 4.5)
    p["snr"] = float(np.exp(rng.uniform(np.log(1.5), np.log(12.0))))
    p["jpeg_quality"] = int(rng.integers(55, 96))
    p["brightness"] = float(np.exp(rng.uniform(np.log(0.6), np.log(1.6))))
    p["style"] = STYLES[rng.choice(3, p=STYLE_WEIGHTS)]
    p["grey_band"] = int(rng.integers(3))
    p["grey_log"] = bool(rng.random() < 0.3)
    p["n_stars"] = int(rng.poisson(2.0))
    p["n_neighbours"] = int(rng.poisson(1.5))
    p["sub_seed"] = int(rng.integers(2**31))
    # bad cases
    if "faint" in flaws:
        if rng.random() < 0.6:
            p["snr"] = float(rng.uniform(0.15, 0.5))
        else:
            p["jpeg_quality"] = int(rng.integers(3, 10))
            p["snr"] = float(rng.uniform(0.5, 1.5))
    if "cut-off" in flaws:
        a25_px = a25 * p["h"]
        shift = rng.uniform(0.62, 1.05) * a25_px  # disk edge at 64 px moves out by 22-44 %
        ang = rng.normal(0.0, 0.35) + (np.pi if rng.random() < 0.5 else 0.0)
        p["offset"] = np.array([shift * np.cos(ang), shift * np.sin(ang) * 0.5])
    return p


# ---------------------------------------------------------------- components

def _sech2_cdf(z, z0):
    return 0.5 * (1.0 + np.tanh(z / z0))


def _sersic_b(n):
    return 2.0 * n - 1.0 / 3.0 + 4.0 / (405.0 * n) + 46.0 / (25515.0 * n * n)


def sersic_image(X, Y, flux, re, n, q, angle=0.0):
    """Surface brightness of a Sersic profile of total flux `flux` (px units)."""
    c, s = math.cos(angle), math.sin(angle)
    u = X * c + Y * s
    v = (-X * s + Y * c) / q
    r = np.sqrt(u * u + v * v + 0.09)
    b = _sersic_b(n)
    ie = flux / (2 * math.pi * n * re * re * q * math.exp(b) * b ** (-2 * n) * math.gamma(2 * n))
    return ie * np.exp(-b * ((r / re) ** (1.0 / n) - 1.0))


def disk_x_rms(r_trunc):
    """rms of x (in h) for the truncated exponential disk used below."""
    R = np.linspace(0, r_trunc + 3.0, 4000)
    S = np.exp(-R) * _trunc(R, r_trunc)
    return math.sqrt(0.5 * np.sum(S * R ** 3) / np.sum(S * R))


def _trunc(R, rt):
    return 1.0 / (1.0 + np.exp(np.minimum((R - rt) / 0.25, 60.0)))


def face_on_maps(p, Xc, Yf, components):
    """Face-on surface density of old stars, young stars and dust optical depth
    on the grid Xc (columns) x Yf (rows), in disk coordinates (px)."""
    h = p["h"]
    x = Xc[None, :]
    y = Yf[:, None]
    R = np.sqrt(x * x + y * y) / h
    trunc = _trunc(R, p["r_trunc"])
    sigma0 = SB25 * math.exp(p["a25_h"])
    old = np.exp(-R) * trunc
    young = np.zeros_like(old)
    tau = np.zeros_like(old)
    arms = "arms" in components
    if arms or "dust" in components:
        m = p["n_arms"]
        r_in = p["bar_len_h"] if p["has_bar"] else max(0.5, 2.0 * p["bulge_re_h"])
        phi = np.arctan2(y, x)
        lnr = np.log(np.maximum(R, 0.05) / r_in)
        wind = p["winding"] / math.tan(math.radians(p["pitch"]))
        phase0 = p["bar_angle"] if p["has_bar"] else p["arm_phase"]
        psi = m * (phi - phase0) - m * wind * lnr
        psi = psi + p["arm_wobble"] * np.sin(p["arm_wobble_k"] * lnr + p["arm_wobble_ph"])
        k = p["arm_sharp"]
        mean_a = math.gamma(k + 0.5) / (math.sqrt(math.pi) * math.gamma(k + 1.0))
        a = ((1.0 + np.cos(psi)) * 0.5) ** k / mean_a
        inner = np.clip((R - 0.7 * r_in) / (0.6 * r_in), 0.0, 1.0)
        inner = inner * inner * (3 - 2 * inner)
    if arms:
        old = old * (1.0 + p["arm_old_contrast"] * (a - 1.0) * inner)
        frng = np.random.default_rng(p["floc_seed"])
        floc = np.ones_like(R)
        for _ in range(5):
            kk = frng.normal(0, 1.0, 2) * (2 * math.pi / (h * frng.uniform(0.6, 2.0)))
            floc += 0.25 * np.cos(kk[0] * x + kk[1] * y + frng.uniform(0, 2 * math.pi))
        young = np.exp(-R / p["young_h"]) * trunc * a * inner * np.clip(floc, 0.1, None)
        norm_y = 2 * math.pi * p["young_h"] ** 2
        young *= p["young_frac"] / norm_y * 2 * math.pi * (1 - p["knot_frac"])
        # star-forming knots along the arms
        nk = p["n_knots"]
        if nk:
            Rk = r_in + frng.exponential(p["young_h"], nk)
            Rk = Rk[Rk < p["r_trunc"]]
            arm = frng.integers(m, size=len(Rk))
            phik = (phase0 + wind * np.log(Rk / r_in) + 2 * math.pi * arm / m
                    + frng.normal(0, 0.12, len(Rk)))
            fk = frng.exponential(1.0, len(Rk))
            if len(Rk):
                fk *= p["young_frac"] * p["knot_frac"] * 2 * math.pi / fk.sum()
                xk = Rk * h * np.cos(phik)
                yk = Rk * h * np.sin(phik)
                dx = Xc[1] - Xc[0]
                dy = Yf[1] - Yf[0]
                ci = (xk - Xc[0]) / dx
                ri = (yk - Yf[0]) / dy
                i0 = np.floor(ci).astype(int)
                j0 = np.floor(ri).astype(int)
                fx = ci - i0
                fy = ri - j0
                amp = fk * h * h / (dx * dy)
                for ddx, ddy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                                    (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
                    ii, jj = i0 + ddx, j0 + ddy
                    ok = (ii >= 0) & (ii < len(Xc)) & (jj >= 0) & (jj < len(Yf))
                    np.add.at(young, (jj[ok], ii[ok]), (amp * w)[ok])
    if "dust" in components:
        ad = ((1.0 + np.cos(psi + 0.6)) * 0.5) ** k / mean_a
        tau = p["tau0"] * np.exp(-R / p["dust_h"]) * trunc * (0.35 + 0.65 * ad) * (0.3 + 0.7 * inner)
    if p["has_bar"] and "bar" in components:
        c, s = math.cos(p["bar_angle"]), math.sin(p["bar_angle"])
        a_bar = p["bar_len_h"]
        u = (x * c + y * s) / (h * a_bar)
        v = (-x * s + y * c) / (h * a_bar * p["bar_axis"])
        m2 = u * u + v * v
        bar = np.where(m2 < 1.0, (1.0 - np.minimum(m2, 1.0)) ** 2, 0.0)
        # Ferrers n=2 flux = pi a b / 3; give it bar_frac of the disk light (2 pi)
        old = old + bar * p["bar_frac"] * 2 * math.pi / (math.pi * a_bar * a_bar * p["bar_axis"] / 3.0)
    f32 = np.float32
    return (sigma0 * old).astype(f32), (sigma0 * young).astype(f32), tau.astype(f32)


def project_sheet(S, Yf, Yg, cos_i):
    """Thin-sheet projection: face-on map S (rows at Yf, spacing d) -> image rows Yg,
    each the exact integral of S over the disk strip that projects into the pixel."""
    d = Yf[1] - Yf[0]
    C = np.concatenate([np.zeros((1, S.shape[1]), S.dtype), np.cumsum(S, axis=0) * S.dtype.type(d)])
    edges_f = np.concatenate([Yf - d / 2, [Yf[-1] + d / 2]])
    dg = Yg[1] - Yg[0]
    e = np.concatenate([Yg - dg / 2, [Yg[-1] + dg / 2]]) / max(cos_i, 1e-9)
    t = np.clip((e - edges_f[0]) / d, 0, len(Yf))
    j = np.minimum(t.astype(int), len(Yf) - 1)
    f = (t - j)[:, None]
    Ce = C[j] * (1 - f) + C[j + 1] * f
    return np.diff(Ce, axis=0) / dg


def vertical_kernels(z0, zd, sin_i, dg, n):
    """Pixel-integrated vertical profile (sech^2, scale z0) stretched by sin i,
    split into the parts in front of, inside and behind the dust layer |z| < zd.
    Returns 3 x n arrays indexed by row shift (negative shifts wrapped)."""
    ks = np.zeros((3, n))
    half = int(math.ceil(6 * z0 * sin_i / dg)) + 1
    half = min(half, n // 2 - 1)
    off = np.arange(-half, half + 1)
    if sin_i < 1e-6:
        lo = np.full(off.shape, -np.inf)
        hi = np.full(off.shape, np.inf)
        lo[off != 0] = hi[off != 0] = 0.0
    else:
        lo = (off - 0.5) * dg / sin_i
        hi = (off + 0.5) * dg / sin_i
    for part, (a, b) in enumerate(((-np.inf, -zd), (-zd, zd), (zd, np.inf))):
        l = np.clip(lo, a, b)
        u = np.clip(hi, a, b)
        w = np.where(u > l, _sech2_cdf(u, z0) - _sech2_cdf(l, z0), 0.0)
        ks[part, off % n] = w
    return ks


def convolve_rows(T, z0, zd, sin_i, dg):
    """(3, ny, nx): the thin sheet T convolved along the minor axis with the vertical
    profile, for the parts in front of, inside and behind the dust layer; row r gets
    sum_k w_k T[r + k] (the sheet seen at height z lies z sin i further along +Y)."""
    ny = T.shape[0]
    half = min(int(math.ceil(6 * z0 * sin_i / dg)) + 1, ny - 1)
    n = 2 * half + 2
    taps = vertical_kernels(z0, zd, sin_i, dg, n).astype(T.dtype)
    out = np.zeros((3,) + T.shape, T.dtype)
    for off in range(-half, half + 1):
        w = taps[:, off % n]
        lo, hi = max(0, -off), min(ny, ny - off)
        for j in range(3):
            if w[j] > 1e-7:
                out[j, lo:hi] += w[j] * T[lo + off:hi + off]
    return out


def render_galaxy(p, size, components=("bulge", "arms", "bar", "dust"), colour=None):
    """(3, size+2*PAD, size+2*PAD) g, r, i surface brightness of the galaxy in the frame."""
    full = size + 2 * PAD
    h = p["h"]
    inc = math.radians(p["inclination"])
    cos_i, sin_i = math.cos(inc), math.sin(inc)
    zoom = p["zoom"]
    rot = math.radians(p["rotation"])
    d = 1.0 / zoom
    # frame pixel (u, v) -> galaxy coords: g = Rot(rot) (u, v) / zoom + offset
    half = full / 2.0
    corners = np.array([[-half, -half], [half, -half], [-half, half], [half, half]])
    cr, sr = math.cos(rot), math.sin(rot)
    gx = (corners[:, 0] * cr - corners[:, 1] * sr) / zoom + p["offset"][0]
    gy = (corners[:, 0] * sr + corners[:, 1] * cr) / zoom + p["offset"][1]
    x0, x1 = gx.min() - 2 * d, gx.max() + 2 * d
    y0, y1 = gy.min() - 2 * d, gy.max() + 2 * d
    Xc = np.arange(x0, x1 + d, d).astype(np.float32)
    Yg = np.arange(y0, y1 + d, d).astype(np.float32)
    ny, nx = len(Yg), len(Xc)

    cols = colour if colour is not None else p.get("colours")
    if cols is None:
        cols = galaxy_colours(p)
    old_c, young_c, bulge_c = cols
    img = np.zeros((3, ny, nx))

    if p.get("elliptical"):
        X, Y = np.meshgrid(Xc, Yg)
        flux = SB25 * math.exp(p["a25_h"]) * 2 * math.pi * h * h * 1.3
        e = sersic_image(X, Y, flux, p["ell_re"], p["ell_n"], p["ell_q"], p["ell_angle"])
        img = bulge_c[:, None, None] * e[None]
    else:
        rt = p["r_trunc"]
        rmax = (rt + 2.0) * h
        z0 = p["q0"] * disk_x_rms(rt) * h / (math.pi / math.sqrt(12.0))
        zd = 0.45 * z0
        # face-on rows aligned with the image rows so that i = 0 is exact
        nf = int(math.ceil(rmax / d))
        Yf = ((np.arange(-nf, nf + 1)) * d + (Yg[0] - math.floor(Yg[0] / d) * d)).astype(np.float32)
        old, young, tau_f = face_on_maps(p, Xc, Yf, components)
        parts = [convolve_rows(project_sheet(old, Yf, Yg, cos_i), z0, zd, sin_i, d)]
        cmat = [old_c]
        if "arms" in components:
            parts.append(convolve_rows(project_sheet(young, Yf, Yg, cos_i), 0.4 * z0, zd, sin_i, d))
            cmat.append(young_c)
        cmat = np.stack(cmat, axis=1).astype(np.float32)  # (3 bands, components)
        # per part: bands = colours @ components
        front, mid, back = (np.tensordot(cmat, np.stack([q[j] for q in parts]), axes=(1, 0))
                            for j in range(3))
        if "dust" in components:
            tau = convolve_rows(project_sheet(tau_f, Yf, Yg, cos_i), zd, 1e9, sin_i, d)[1]
            tb = EXTINCTION.astype(np.float32)[:, None, None] * tau[None]
            att_back = np.exp(-tb)
            att_mid = np.where(tb > 1e-4, -np.expm1(-tb) / np.maximum(tb, 1e-4), 1.0)
            img = front + mid * att_mid + back * att_back
        else:
            att_back = 1.0
            img = front + mid + back
        if "bulge" in components and p["bulge_fraction"] > 0:
            X, Y = np.meshgrid(Xc, Yg)
            bt = p["bulge_fraction"]
            disk_flux = SB25 * math.exp(p["a25_h"]) * 2 * math.pi * h * h * (1 + p["young_frac"])
            qb = math.sqrt(cos_i ** 2 + p["bulge_q"] ** 2 * sin_i ** 2)
            re = p["bulge_re_h"] * h
            b = sersic_image(X, Y, disk_flux * bt / (1 - bt), re, p["bulge_n"], qb)
            s_c = Y * sin_i / max(cos_i, 0.05)
            bimp = np.sqrt(X * X + (Y / qb) ** 2 + (0.3 * re) ** 2)
            behind = 0.5 * (1.0 - s_c / np.sqrt(bimp ** 2 + s_c ** 2))
            img = img + bulge_c[:, None, None] * (b * (1 - behind))[None] \
                + bulge_c[:, None, None] * (b * behind)[None] * att_back
    return resample(img.astype(np.float32), Xc, Yg, p, full)


def resample(img, Xc, Yg, p, full):
    """Bilinear resampling of the galaxy-aligned grid into the (rotated, zoomed) frame."""
    d = Xc[1] - Xc[0]
    u = np.arange(full) - (full - 1) / 2.0
    U, V = np.meshgrid(u, u)
    rot = math.radians(p["rotation"])
    cr, sr = math.cos(rot), math.sin(rot)
    gx = (U * cr - V * sr) / p["zoom"] + p["offset"][0]
    gy = (U * sr + V * cr) / p["zoom"] + p["offset"][1]
    ci = (gx - Xc[0]) / d
    ri = (gy - Yg[0]) / d
    nx = len(Xc)
    i0 = np.clip(np.floor(ci).astype(int), 0, nx - 2)
    j0 = np.clip(np.floor(ri).astype(int), 0, len(Yg) - 2)
    fx = np.clip(ci - i0, 0, 1).astype(np.float32)
    fy = np.clip(ri - j0, 0, 1).astype(np.float32)
    flat = img.reshape(3, -1)
    k = j0 * nx + i0
    top = flat[:, k] * (1 - fx) + flat[:, k + 1] * fx
    bottom = flat[:, k + nx] * (1 - fx) + flat[:, k + nx + 1] * fx
    return top * (1 - fy) + bottom * fy


def galaxy_colours(p):
    j = p["colour_jitter"]
    return (_colour(OLD_COLOUR[0] + j[0, 0], OLD_COLOUR[1] + j[0, 1]),
            _colour(YOUNG_COLOUR[0] + j[1, 0], YOUNG_COLOUR[1] + j[1, 1]),
            _colour(BULGE_COLOUR[0] + j[2, 0], BULGE_COLOUR[1] + j[2, 1]))


# ---------------------------------------------------------------- imaging

def psf_kernels(p, full):
    """Transfer functions (3, full, full//2+1) of the g, r, i PSFs."""
    fwhm = p["psf_fwhm"] * np.array([1.08, 1.0, 0.95])[:, None, None]
    u = np.fft.fftfreq(full) * full
    r2 = (u[:, None] ** 2 + u[None, :] ** 2)[None]
    if p["psf_moffat"]:
        beta = p["psf_beta"]
        alpha = fwhm / (2 * math.sqrt(2 ** (1 / beta) - 1))
        k = (1 + r2 / alpha ** 2) ** (-beta)
    else:
        sig = fwhm / 2.3548
        k = np.exp(-0.5 * r2 / sig ** 2)
    return np.fft.rfft2(k / k.sum(axis=(1, 2), keepdims=True))


def add_point(img, x, y, flux_rgb):
    """Bilinear splat of a point source at frame pixel (x, y)."""
    full = img.shape[-1]
    i0, j0 = int(math.floor(x)), int(math.floor(y))
    fx, fy = x - i0, y - j0
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)),
                      (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        ii, jj = i0 + dx, j0 + dy
        if 0 <= ii < full and 0 <= jj < full:
            img[:, jj, ii] += flux_rgb * w


def add_stars_and_neighbours(img, p, rng, size):
    full = img.shape[-1]
    u = np.arange(full) - (full - 1) / 2.0
    U, V = np.meshgrid(u, u)
    gal_flux = SB25 * math.exp(p["a25_h"]) * 2 * math.pi * p["h"] ** 2
    for _ in range(p["n_neighbours"]):
        cx, cy = rng.uniform(-size / 2, size / 2, 2)
        re = rng.uniform(1.0, 4.0)
        n = rng.uniform(0.8, 4.0)
        q = rng.uniform(0.3, 1.0)
        col = _colour(rng.uniform(0.3, 1.1), rng.uniform(0.2, 0.5))
        f = gal_flux * math.exp(rng.uniform(math.log(0.002), math.log(0.03)))
        img += col[:, None, None] * sersic_image(U - cx, V - cy, f, re, n, q, rng.uniform(0, np.pi))[None]
    for _ in range(p["n_stars"]):
        x, y = rng.uniform(0, full - 1, 2)
        g_r = rng.uniform(0.2, 1.4)
        f = gal_flux * math.exp(rng.uniform(math.log(0.0005), math.log(0.05)))
        add_point(img, x, y, f * _colour(g_r, 0.3 * g_r))
    if "star" in p["flaws"]:
        a = p["a25_h"] * p["h"] * p["zoom"] * rng.uniform(0.05, 0.7)
        ang = rng.uniform(0, 2 * math.pi)
        qd = math.sqrt(math.cos(math.radians(p["inclination"])) ** 2 + 0.04)
        x = (full - 1) / 2.0 + a * math.cos(ang) - p["offset"][0]
        y = (full - 1) / 2.0 + a * math.sin(ang) * max(qd, 0.5) - p["offset"][1]
        f = gal_flux * math.exp(rng.uniform(math.log(0.5), math.log(5.0)))
        col = _colour(rng.uniform(0.3, 1.3), 0.3)
        add_point(img, x, y, f * col)
        # diffraction spikes of the secondary-mirror supports
        sp = rng.uniform(0, np.pi / 2)
        for t in (sp, sp + np.pi / 2):
            du, dv = U - (x - (full - 1) / 2.0), V - (y - (full - 1) / 2.0)
            along = du * math.cos(t) + dv * math.sin(t)
            perp = -du * math.sin(t) + dv * math.cos(t)
            spike = np.exp(-0.5 * perp ** 2 / 0.36) / (1 + (along / 3.0) ** 2) ** 1.5 * 0.003 * f
            img += col[:, None, None] * spike[None]


def jpeg(rgb, quality):
    """Baseline JPEG round trip in numpy: YCbCr, 4:2:0 chroma, 8x8 DCT, libjpeg tables."""
    x = rgb.astype(np.float64)
    Y = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    Cb = -0.168736 * x[..., 0] - 0.331264 * x[..., 1] + 0.5 * x[..., 2] + 128
    Cr = 0.5 * x[..., 0] - 0.418688 * x[..., 1] - 0.081312 * x[..., 2] + 128
    H, W = Y.shape
    sub = lambda c: c.reshape(H // 2, 2, W // 2, 2).mean(axis=(1, 3))
    scale = 5000 / quality if quality < 50 else 200 - 2 * quality
    qy = np.clip(np.floor((_QY * scale + 50) / 100), 1, 255)
    qc = np.clip(np.floor((_QC * scale + 50) / 100), 1, 255)
    Y = _dct_round_trip(Y, qy)
    Cb = np.repeat(np.repeat(_dct_round_trip(sub(Cb), qc), 2, 0), 2, 1)
    Cr = np.repeat(np.repeat(_dct_round_trip(sub(Cr), qc), 2, 0), 2, 1)
    R = Y + 1.402 * (Cr - 128)
    G = Y - 0.344136 * (Cb - 128) - 0.714136 * (Cr - 128)
    B = Y + 1.772 * (Cb - 128)
    return np.clip(np.rint(np.stack([R, G, B], -1)), 0, 255).astype(np.uint8)


def _dct_round_trip(c, q):
    H, W = c.shape
    Hp, Wp = -(-H // 8) * 8, -(-W // 8) * 8
    c = np.pad(c, ((0, Hp - H), (0, Wp - W)), mode="edge") - 128.0
    b = c.reshape(Hp // 8, 8, Wp // 8, 8).transpose(0, 2, 1, 3)
    coef = _DCT @ b @ _DCT.T
    coef = np.rint(coef / q) * q
    b = _DCT.T @ coef @ _DCT
    return b.transpose(0, 2, 1, 3).reshape(Hp, Wp)[:H, :W] + 128.0


_k = np.arange(8)
_DCT = np.sqrt(2 / 8) * np.cos((2 * _k[None, :] + 1) * _k[:, None] * np.pi / 16)
_DCT[0] /= math.sqrt(2)
_QY = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
                14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
                49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99], float).reshape(8, 8)
_QC = np.full((8, 8), 99.0)
_QC[:4, :4] = np.array([17, 18, 24, 47, 18, 21, 26, 66, 24, 26, 56, 99, 47, 66, 99, 99]).reshape(4, 4)


def stretch(img, p):
    """float g, r, i -> uint8 RGB in the image's style."""
    b = p["brightness"]
    if p["style"] == "colour":
        c = img * (SDSS_SCALES * b)[:, None, None]
        I = np.maximum(c.mean(axis=0), 1e-9)
        fI = np.arcsinh(SDSS_Q * I) / math.sqrt(SDSS_Q)
        rgb = c[::-1] * (fI / I)[None]  # R = i, G = r, B = g
        m = np.maximum(rgb.max(axis=0), 1.0)
        rgb = np.clip(rgb / m[None], 0.0, 1.0)
    else:
        band = img[p["grey_band"]] * SDSS_SCALES[1] * b
        if p["grey_log"]:
            v = np.log1p(np.maximum(band, 0) * 60.0) / math.log1p(60.0 * 1.2)
        else:
            v = np.arcsinh(SDSS_Q * np.maximum(band, 0)) / math.sqrt(SDSS_Q)
        v = np.clip(v, 0.0, 1.0)
        if p["style"] == "inverted":
            v = 1.0 - v
        rgb = np.stack([v, v, v])
    return np.rint(rgb.transpose(1, 2, 0) * 255.0).astype(np.uint8)


# ---------------------------------------------------------------- one image

def make_image(seed, index, size=128, bad_fraction=0.25, clean=False):
    """One image and its parameters. clean=True: no noise, PSF, stars or JPEG (tests)."""
    rng = np.random.default_rng([seed, index])
    p = draw_params(rng, size, bad_fraction)
    return render(p, size, clean=clean)


def render(p, size, clean=False, components=("bulge", "arms", "bar", "dust")):
    rng = np.random.default_rng(p["sub_seed"])
    flaws = p["flaws"]
    p["colours"] = galaxy_colours(p)
    if "not-spiral" in flaws:
        p["elliptical"] = True
        p["ell_n"] = rng.uniform(2.5, 5.0)
        p["ell_re"] = p["h"] * rng.uniform(1.0, 2.2)
        p["ell_q"] = rng.uniform(0.45, 1.0)
        p["ell_angle"] = math.radians(rng.normal(0, 3))
        p["bulge_fraction"] = 1.0
    img = render_galaxy(p, size, components)
    if "merger" in flaws:
        q = dict(p)
        q["flaws"] = []
        q["inclination"] = rng.uniform(20, 85)
        q["rotation"] = rng.uniform(-90, 90)
        sep = p["a25_h"] * p["h"] * rng.uniform(0.35, 0.9)
        ang = rng.uniform(0, 2 * math.pi)
        q["offset"] = np.array([sep * math.cos(ang), sep * math.sin(ang)])
        q["offset"] = _rot(q["offset"], q["rotation"]) + p["offset"]
        q["h"] = p["h"] * rng.uniform(0.5, 1.0)
        q["arm_phase"] = rng.uniform(0, 2 * math.pi)
        q["bulge_fraction"] = rng.uniform(0.0, 0.5)
        q["colours"] = galaxy_colours(q)
        img = img + render_galaxy(q, size, components) * rng.uniform(0.4, 1.0)
    if clean:
        return img[:, PAD:-PAD, PAD:-PAD], p
    add_stars_and_neighbours(img, p, rng, size)
    full = img.shape[-1]
    img = np.fft.irfft2(np.fft.rfft2(img) * psf_kernels(p, full), s=(full, full))
    img = img[:, PAD:-PAD, PAD:-PAD]
    sigma = SB25 / p["snr"] * np.array([0.9, 1.0, 1.35])
    img = img + rng.standard_normal(img.shape, dtype=np.float32) * sigma.astype(np.float32)[:, None, None]
    img = img + rng.normal(0.0, 0.3) * sigma[:, None, None]  # imperfect sky subtraction
    out = stretch(img, p)
    return jpeg(out, p["jpeg_quality"]), p


def _rot(v, deg):
    t = math.radians(deg)
    return np.array([v[0] * math.cos(t) + v[1] * math.sin(t), -v[0] * math.sin(t) + v[1] * math.cos(t)])


LABEL_KEYS = ("inclination", "q0", "bulge_fraction", "bulge_n", "n_arms", "has_bar", "pitch", "tau0",
              "psf_fwhm", "snr", "jpeg_quality", "rotation", "zoom")


def labels_of(p):
    flaws = p["flaws"]
    reason = next((r for r in REASON_ORDER if r in flaws), "")
    out = {k: p[k] for k in LABEL_KEYS}
    out.update(reject=bool(flaws), reason=reason, flaws="+".join(f for f in REASON_ORDER if f in flaws),
               style=p["style"], offset_x=float(p["offset"][0]), offset_y=float(p["offset"][1]))
    return out


def generate(n, seed, size=128, bad_fraction=0.25, start=0):
    """n images (uint8 [n, size, size, 3] RGB) and labels (dict of numpy arrays);
    image k is make_image(seed, start + k)."""
    images = np.empty((n, size, size, 3), np.uint8)
    rows = []
    for k in range(n):
        images[k], p = make_image(seed, start + k, size, bad_fraction)
        rows.append(labels_of(p))
    labels = {}
    for key in (rows[0] if rows else {}):
        vals = [r[key] for r in rows]
        labels[key] = np.array(vals, dtype=str) if isinstance(vals[0], str) else np.array(vals)
    return images, labels


# ---------------------------------------------------------------- contact sheet

def contact_sheet(path, seed, cols=8, rows=6, size=128):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    images, labels = generate(cols * rows, seed, size)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.35, rows * 1.5), dpi=88)
    for k, ax in enumerate(axes.flat):
        ax.imshow(images[k], interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        t = f"i={labels['inclination'][k]:.0f}°"
        if labels["reject"][k]:
            t += " ✗ " + labels["reason"][k]
        ax.set_title(t, fontsize=7, color="firebrick" if labels["reject"][k] else "black", pad=2)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.96, bottom=0.01, wspace=0.05, hspace=0.22)
    fig.savefig(path)
    plt.close(fig)
    try:  # a 256-colour palette keeps the sheet small; optional, only for this picture
        from PIL import Image
    except ImportError:
        return
    Image.open(path).convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", help="write a contact sheet PNG here")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--bench", type=int, default=0, help="time this many images")
    a = ap.parse_args()
    if a.samples:
        contact_sheet(a.samples, a.seed)
    if a.bench:
        t, c = time.perf_counter(), time.process_time()
        generate(a.bench, a.seed)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"{a.bench / wall:.1f} images/s wall, {a.bench / cpu:.1f} per CPU second")


if __name__ == "__main__":
    main()
