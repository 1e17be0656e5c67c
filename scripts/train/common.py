"""Shared by train.py and evaluate.py: reading the generator's shards, the
fixed validation split, batches as the models see them, and metrics."""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

LOAD_CHUNK = 5000
VALIDATION_FRACTION = 0.1
SPLIT_SEED = 1  # the held-out validation part is fixed by this seed, not by the model's


def load_all(path: str, limit: int | None = None) -> tuple[torch.Tensor, dict[str, np.ndarray]]:
    """Every image of a dataset (uint8 [n,128,128,3]) and its labels, read in chunks
    through dataset.load(path, start, stop) written by galaxies.py's author."""
    import dataset  # scripts/train/dataset.py

    if limit is None:
        available, total = dataset_size(path)
        if available < total:
            raise RuntimeError(f"{path}: only {available} of {total} images are built; finish the build "
                               f"(dataset.py build is resumable) or pass --limit {available}")
    images, labels, start = [], {}, 0
    while limit is None or start < limit:
        stop = start + LOAD_CHUNK if limit is None else min(start + LOAD_CHUNK, limit)
        imgs, labs = dataset.load(path, start, stop)
        if len(imgs) == 0:
            break
        images.append(np.asarray(imgs, dtype=np.uint8))
        for k in ("inclination", "reject", "bulge_fraction", "reason", "psf_fwhm"):
            if k in labs:
                labels.setdefault(k, []).append(np.asarray(labs[k]))
        short = len(imgs) < stop - start  # the dataset ended inside this chunk
        start += len(imgs)
        if short:
            break
    if not images:
        raise RuntimeError(f"{path}: no images")
    stacked = torch.from_numpy(np.concatenate(images))
    if tuple(stacked.shape[1:]) != (models.IMAGE_SIZE, models.IMAGE_SIZE, 3):
        raise RuntimeError(f"{path}: images are {tuple(stacked.shape[1:])}, expected (128,128,3)")
    out = {"inclination": np.concatenate(labels["inclination"]).astype(np.float64),
           "reject": np.concatenate(labels["reject"]).astype(bool)}
    if "bulge_fraction" in labels:  # for the evaluation plot
        out["bulge_fraction"] = np.concatenate(labels["bulge_fraction"]).astype(np.float64)
    if "reason" in labels:  # for the evaluation's breakdown by case
        out["reason"] = np.concatenate(labels["reason"]).astype(str)
    if "psf_fwhm" in labels:
        out["psf_fwhm"] = np.concatenate(labels["psf_fwhm"]).astype(np.float64)
    return stacked, out


def dataset_size(path: str) -> tuple[int, int]:
    """(images built so far, images the build will have), from the dataset's index.json."""
    import dataset

    with open(os.path.join(path, "index.json")) as f:
        total = json.load(f)["n"]
    return dataset.size_of(path), total


def regression_usable(labels: dict[str, np.ndarray]) -> np.ndarray:
    """Galaxies the regressors learn from: not rejected, inclination >= 45 degrees."""
    return (~labels["reject"]) & (labels["inclination"] >= models.INCLINATION_TO[0])


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, validation) indices; the same for every model of a data version."""
    perm = np.random.default_rng(SPLIT_SEED).permutation(n)
    n_val = max(1, int(round(n * VALIDATION_FRACTION)))
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def to_input(images_u8: torch.Tensor) -> torch.Tensor:
    """uint8 NHWC RGB -> the contract's float32 NCHW in [0, 1]."""
    return images_u8.permute(0, 3, 1, 2).float().div_(255.0)


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random 180-degree rotation and horizontal/vertical flips (inclination is
    invariant and the major axis stays horizontal), small brightness/contrast jitter."""
    n = x.shape[0]
    flip_h = torch.rand(n, generator=gen) < 0.5
    flip_v = torch.rand(n, generator=gen) < 0.5
    rot180 = torch.rand(n, generator=gen) < 0.5
    flip_h ^= rot180  # a 180-degree rotation is both flips
    flip_v ^= rot180
    x = torch.where(flip_h[:, None, None, None], x.flip(3), x)
    x = torch.where(flip_v[:, None, None, None], x.flip(2), x)
    contrast = 1.0 + (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.2   # x0.9 .. x1.1
    brightness = (torch.rand(n, 1, 1, 1, generator=gen) - 0.5) * 0.06     # -0.03 .. +0.03
    return (x * contrast + brightness).clamp_(0.0, 1.0)


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U, ties counted half)."""
    scores, positive = np.asarray(scores, float), np.asarray(positive, bool)
    n_pos, n_neg = positive.sum(), (~positive).sum()
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


@torch.no_grad()
def predict(model: models.InclineNet, images_u8: torch.Tensor, both_orientations: bool,
            batch: int = 256) -> np.ndarray:
    """Model outputs (tanh t or probability) per image; with both_orientations, the
    mean over the image and its 180-degree rotation, as lib/incline runs it."""
    model.eval()
    out = []
    for s in range(0, len(images_u8), batch):
        x = to_input(images_u8[s:s + batch])
        y = model(x)[:, 0]
        if both_orientations:
            y = 0.5 * (y + model(x.flip(2, 3))[:, 0])
        out.append(y.numpy())
    return np.concatenate(out) if out else np.zeros(0)
