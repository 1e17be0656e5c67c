"""Evaluate the trained ensemble on a held-out test set generated with another seed.

  /usr/bin/python3 scripts/train/evaluate.py --test data/galaxies-v1-test --runs scripts/train/runs
      [--build-n 5000 --build-seed 2] [--limit N]

If the test set is missing or unfinished it is built with scripts/train/dataset.py (seed 2; the
training set uses seed 1). Writes runs/evaluation.json (export.py copies it into
models-onnx/manifest.json):
  - per model: rms in degrees (regressors, non-rejected galaxies) or AUC and
    accuracy (binaries); every model runs on the image and its 180-degree
    rotation and the two outputs are averaged, as lib/incline does;
  - the ensemble: rms of the median of the regressors, AUC of the mean of the binaries;
  - the classical baseline on the same galaxies: inclination from the
    second-moment axial ratio q, cos^2 i = (q^2 - q0^2) / (1 - q0^2), q0 = 0.2.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch
from scipy import ndimage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import models  # noqa: E402

INTRINSIC_THICKNESS_Q0 = 0.2  # Hubble's intrinsic axial ratio of a disc seen edge-on


def moment_axial_ratio(images_u8: np.ndarray) -> np.ndarray:
    """Axial ratio b/a from the intensity-weighted second moments of the galaxy's own
    segment, as SExtractor-style photometry measures it: pixels above the background
    (median of the border) + 3 sigma (MAD), restricted to the connected region that
    holds the centre so stars and neighbours do not count."""
    q = np.empty(len(images_u8))
    size = images_u8.shape[1]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    for i, img in enumerate(images_u8):
        gray = img.astype(np.float64).mean(axis=2)
        border = np.concatenate([gray[:4].ravel(), gray[-4:].ravel(), gray[:, :4].ravel(), gray[:, -4:].ravel()])
        bkg = np.median(border)
        sigma = 1.4826 * np.median(np.abs(border - bkg)) + 1e-6
        w = np.clip(gray - bkg - 3 * sigma, 0, None)
        segments, _ = ndimage.label(w > 0)
        centre = segments[size // 2, size // 2]
        if centre > 0:
            w = w * (segments == centre)
        total = w.sum()
        if total <= 0:
            q[i] = 1.0
            continue
        cx, cy = (w * xx).sum() / total, (w * yy).sum() / total
        mxx = (w * (xx - cx) ** 2).sum() / total
        myy = (w * (yy - cy) ** 2).sum() / total
        mxy = (w * (xx - cx) * (yy - cy)).sum() / total
        half_trace, det = (mxx + myy) / 2, mxx * myy - mxy ** 2
        root = np.sqrt(max(half_trace ** 2 - det, 0.0))
        major, minor = half_trace + root, max(half_trace - root, 0.0)
        q[i] = np.sqrt(minor / major) if major > 0 else 1.0
    return q


def inclination_from_axial_ratio(q: np.ndarray, q0: float = INTRINSIC_THICKNESS_Q0) -> np.ndarray:
    cos2 = np.clip((q ** 2 - q0 ** 2) / (1 - q0 ** 2), 0.0, 1.0)
    return np.degrees(np.arccos(np.sqrt(cos2)))


def ensure_test_set(path: str, n: int, seed: int) -> None:
    """Builds the test set, or finishes an interrupted build (dataset.py resumes)."""
    if os.path.exists(os.path.join(path, "index.json")):
        available, total = common.dataset_size(path)
        if available == total:
            return
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dataset.py")
    print(f"building the test set {path} ({n} images, seed {seed})")
    subprocess.run([sys.executable, script, "build", "--out", path, "--n", str(n), "--seed", str(seed)], check=True)


def plot(path: str, truth, predicted, baseline, result, labels, usable) -> None:
    """Predicted vs true inclination on the test set: the ensemble median and the moment baseline,
    and the residuals by bulge fraction (where the baseline fails)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6), dpi=90)
    ax = axes[0]
    ax.plot([45, 90], [45, 90], color="0.6", lw=1)
    ax.scatter(truth, np.clip(baseline, 40, 92), s=6, c="#e0913a", alpha=0.5, label=f"moments, q0 = 0.2 (rms {result['baseline']['rmsClippedTo45']:.1f}° clipped)")
    ax.scatter(truth, predicted, s=6, c="#2f6fd6", alpha=0.7, label=f"CNN ensemble median (rms {result['ensemble']['rmsOfMedian']:.2f}°)")
    ax.set_xlabel("true inclination (°)")
    ax.set_ylabel("estimated inclination (°)")
    ax.set_xlim(44, 91)
    ax.set_ylim(39, 93)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(f"held-out synthetic test set, {len(truth)} usable galaxies", fontsize=10)
    ax = axes[1]
    bulge = np.asarray(labels["bulge_fraction"])[usable] if "bulge_fraction" in labels else np.zeros_like(truth)
    ax.axhline(0, color="0.6", lw=1)
    ax.scatter(bulge, np.clip(baseline, 40, 92) - truth, s=6, c="#e0913a", alpha=0.5, label="moments")
    ax.scatter(bulge, predicted - truth, s=6, c="#2f6fd6", alpha=0.7, label="CNN ensemble")
    ax.set_xlabel("bulge-to-total ratio")
    ax.set_ylabel("estimate − truth (°)")
    ax.set_ylim(-30, 30)
    ax.legend(loc="lower left", fontsize=8)
    ax.set_title("errors against bulge fraction", fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fig.savefig(path)
    print(f"wrote {path}")


def breakdown(truth, median, baseline, labels, usable, mean_p) -> dict:
    """Where the CNN beats the moment baseline: rms of both on the cases the issue names
    (bulge-dominated, edge-on, blurred), and how often the classifiers flag each kind of
    rejected image (a bright star on the galaxy among them), which the baseline cannot."""
    def rms(x):
        return float(np.sqrt(np.mean(x ** 2))) if len(x) else None

    clipped = np.clip(baseline, 45, 90)
    bulge = labels["bulge_fraction"][usable] if "bulge_fraction" in labels else np.zeros_like(truth)
    groups = {"all": np.ones_like(truth, dtype=bool), "bulge-to-total >= 0.3": bulge >= 0.3,
              "bulge-to-total < 0.1": bulge < 0.1, "edge-on (i >= 80)": truth >= 80,
              "45-60 deg": truth < 60}
    if "psf_fwhm" in labels:
        groups["PSF FWHM >= 3 px"] = labels["psf_fwhm"][usable] >= 3
    out = {"inclination": {name: {"galaxies": int(m.sum()), "cnnRms": rms(median[m] - truth[m]),
                                  "baselineRmsClipped": rms(clipped[m] - truth[m])}
                           for name, m in groups.items()}}
    if mean_p is not None and "reason" in labels:
        reasons = {}
        for reason in labels["reason"]:
            for part in reason.split("+"):
                if part:
                    reasons[part] = None
        flagged = {}
        for part in reasons:
            m = np.array([part in r.split("+") for r in labels["reason"]])
            flagged[part] = {"images": int(m.sum()), "flagged": float(np.mean(mean_p[m] >= 0.5))}
        m = labels["reason"] == ""
        flagged["usable (should not be flagged)"] = {"images": int(m.sum()), "flagged": float(np.mean(mean_p[m] >= 0.5))}
        out["rejection"] = flagged
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--test", default="data/galaxies-v1-test")
    ap.add_argument("--runs", default="scripts/train/runs")
    ap.add_argument("--build-n", type=int, default=5000)
    ap.add_argument("--build-seed", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--plot", default="docs/inclination-accuracy.png",
                    help="predicted vs true inclination for the README ('' for none)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    ensure_test_set(args.test, args.build_n, args.build_seed)
    images, labels = common.load_all(args.test, args.limit)
    usable = common.regression_usable(labels)
    truth = labels["inclination"][usable]
    rejected = labels["reject"]
    print(f"{args.test}: {len(images)} images, {usable.sum()} usable for inclination, {rejected.sum()} rejected")

    per_model, regression_deg, binary_p = {}, {}, {}
    for spec in models.model_specs():
        path = os.path.join(args.runs, spec["name"], "best.pt")
        if not os.path.exists(path):
            continue
        ckpt = torch.load(path, map_location="cpu")
        model = models.build(spec["name"])
        model.load_state_dict(ckpt["model"])
        if spec["kind"] == "regression":
            deg = models.degrees_from_tanh(common.predict(model, images[torch.from_numpy(usable)], True))
            regression_deg[spec["name"]] = deg
            per_model[spec["name"]] = {"rms": float(np.sqrt(np.mean((deg - truth) ** 2)))}
        else:
            p = common.predict(model, images, True)
            binary_p[spec["name"]] = p
            per_model[spec["name"]] = {"auc": common.auc(p, rejected),
                                       "accuracy": float(np.mean((p >= 0.5) == rejected))}
        print(f"{spec['name']}: {per_model[spec['name']]}")

    q = moment_axial_ratio(images.numpy()[usable])
    baseline = inclination_from_axial_ratio(q)
    result = {
        "testSet": os.path.basename(os.path.normpath(args.test)), "testImages": int(len(images)),
        "usableImages": int(usable.sum()), "rejectedImages": int(rejected.sum()),
        "orientations": "image and its 180-degree rotation, outputs averaged",
        "baseline": {"method": "second-moment axial ratio of the central segment, "
                               "cos^2 i = (q^2 - q0^2)/(1 - q0^2)",
                     "bias": float(np.mean(baseline - truth)),
                     "q0": INTRINSIC_THICKNESS_Q0,
                     "rms": float(np.sqrt(np.mean((baseline - truth) ** 2))),
                     "rmsClippedTo45": float(np.sqrt(np.mean((np.clip(baseline, 45, 90) - truth) ** 2)))},
        "models": per_model,
    }
    if regression_deg:
        median = np.median(np.stack(list(regression_deg.values())), axis=0)
        result["ensemble"] = {"regressors": len(regression_deg),
                              "rmsOfMedian": float(np.sqrt(np.mean((median - truth) ** 2)))}
    if binary_p:
        mean_p = np.mean(np.stack(list(binary_p.values())), axis=0)
        result.setdefault("ensemble", {}).update(
            {"binaries": len(binary_p), "aucOfMean": common.auc(mean_p, rejected),
             "accuracyOfMean": float(np.mean((mean_p >= 0.5) == rejected))})
    if regression_deg:
        result["breakdown"] = breakdown(truth, median, baseline, labels, usable,
                                        mean_p if binary_p else None)
    if regression_deg and args.plot:
        plot(args.plot, truth, median, baseline, result, labels, usable)
    with open(os.path.join(args.runs, "evaluation.json"), "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "models"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
