"""Build and read sharded datasets of synthetic galaxies (see galaxies.py).

    /usr/bin/python3 scripts/train/dataset.py build --out data/galaxies-v1 --n 30000 --seed 1 \\
        [--shard 1000] [--workers 2] [--size 128] [--bad-fraction 0.25]

Layout of <out>/:
    index.json                 parameters, shard list and counts (rewritten after every shard)
    shard-00000.images.npy     uint8 [count, size, size, 3] RGB
    shard-00000.labels.npz     the labels of generate() for those images
Image k of shard s is galaxies.make_image(seed, s * shard + k), so a build is
resumable (complete shards are kept; each file is written to a temporary name
and renamed) and any shard can be rebuilt on its own.

For training: load(path, start, stop) -> (images memory-mapped or stacked, labels).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import galaxies  # noqa: E402

INDEX = "index.json"


def shard_names(out, s):
    base = os.path.join(out, f"shard-{s:05d}")
    return base + ".images.npy", base + ".labels.npz"


def shard_complete(out, s, count, size):
    img_path, lab_path = shard_names(out, s)
    if not (os.path.exists(img_path) and os.path.exists(lab_path)):
        return False
    try:
        imgs = np.load(img_path, mmap_mode="r")
        with np.load(lab_path) as labs:
            n_lab = len(labs["inclination"])
    except (OSError, ValueError, KeyError):
        return False
    return imgs.shape == (count, size, size, 3) and n_lab == count


def build_shard(job):
    out, s, start, count, seed, size, bad_fraction = job
    images, labels = galaxies.generate(count, seed, size=size, bad_fraction=bad_fraction, start=start)
    img_path, lab_path = shard_names(out, s)
    pid = os.getpid()
    tmp_img, tmp_lab = f"{img_path}.tmp{pid}.npy", f"{lab_path}.tmp{pid}.npz"
    np.save(tmp_img, images)
    np.savez(tmp_lab, **labels)
    os.replace(tmp_lab, lab_path)  # images last: a shard counts as complete only with both
    os.replace(tmp_img, img_path)
    return s, count


def write_index(out, meta, done):
    meta = dict(meta, complete=sorted(done), n_complete=sum(c for s, c in meta["_counts"] if s in done))
    meta = {k: v for k, v in meta.items() if not k.startswith("_")}
    tmp = os.path.join(out, INDEX + ".tmp")
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, os.path.join(out, INDEX))


def build(out, n, seed, shard=1000, workers=2, size=128, bad_fraction=0.25):
    os.makedirs(out, exist_ok=True)
    index_path = os.path.join(out, INDEX)
    counts = [(s, min(shard, n - s * shard)) for s in range((n + shard - 1) // shard)]
    meta = {"generator": "scripts/train/galaxies.py", "n": n, "seed": seed, "shard": shard, "size": size,
            "bad_fraction": bad_fraction,
            "shards": [{"index": s, "start": s * shard, "count": c,
                        "images": os.path.basename(shard_names(out, s)[0]),
                        "labels": os.path.basename(shard_names(out, s)[1])} for s, c in counts],
            "_counts": counts}
    if os.path.exists(index_path):
        old = json.load(open(index_path))
        for k in ("seed", "shard", "size", "bad_fraction"):
            if old.get(k) != meta[k]:
                raise SystemExit(f"{out}: existing dataset has {k}={old.get(k)}, asked for {meta[k]}")
    done = {s for s, c in counts if shard_complete(out, s, c, size)}
    todo = [(out, s, s * shard, c, seed, size, bad_fraction) for s, c in counts if s not in done]
    print(f"{out}: {len(done)} of {len(counts)} shards present, building {len(todo)}", flush=True)
    write_index(out, meta, done)
    t0, made = time.perf_counter(), 0
    if todo:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core per worker
        with mp.get_context("spawn").Pool(max(1, workers)) as pool:
            for s, c in pool.imap_unordered(build_shard, todo):
                done.add(s)
                made += c
                write_index(out, meta, done)
                rate = made / (time.perf_counter() - t0)
                print(f"  shard {s} ({c} images) done; {len(done)}/{len(counts)}, {rate:.1f} images/s",
                      flush=True)
    return meta


def _index(path):
    with open(os.path.join(path, INDEX)) as f:
        return json.load(f)


def load(path, start=0, stop=None):
    """Images [start, stop) (uint8 [k, size, size, 3]) and their labels (dict of arrays).
    A range inside one shard returns a memory-mapped view; across shards, a copy.
    Stops early at the end of the dataset or at the first shard not yet built."""
    idx = _index(path)
    complete = set(idx.get("complete", []))
    stop = idx["n"] if stop is None else min(stop, idx["n"])
    images, labels = [], {}
    for sh in idx["shards"]:
        a, b = sh["start"], sh["start"] + sh["count"]
        if b <= start or a >= stop:
            continue
        if sh["index"] not in complete:
            break
        lo, hi = max(start, a) - a, min(stop, b) - a
        images.append(np.load(os.path.join(path, sh["images"]), mmap_mode="r")[lo:hi])
        with np.load(os.path.join(path, sh["labels"])) as labs:
            for k in labs.files:
                labels.setdefault(k, []).append(labs[k][lo:hi])
    if not images:
        return np.zeros((0, idx["size"], idx["size"], 3), np.uint8), {}
    if len(images) == 1:
        return images[0], {k: v[0] for k, v in labels.items()}
    return np.concatenate(images), {k: np.concatenate(v) for k, v in labels.items()}


def size_of(path):
    """Number of images available (complete shards from the start)."""
    idx = _index(path)
    complete = set(idx.get("complete", []))
    n = 0
    for sh in idx["shards"]:
        if sh["index"] not in complete:
            break
        n += sh["count"]
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="generate shards (resumable)")
    b.add_argument("--out", required=True)
    b.add_argument("--n", type=int, required=True)
    b.add_argument("--seed", type=int, required=True)
    b.add_argument("--shard", type=int, default=1000)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--size", type=int, default=128)
    b.add_argument("--bad-fraction", type=float, default=0.25)
    i = sub.add_parser("info", help="print the index summary")
    i.add_argument("path")
    a = ap.parse_args()
    if a.cmd == "build":
        build(a.out, a.n, a.seed, a.shard, a.workers, a.size, a.bad_fraction)
    else:
        idx = _index(a.path)
        print(json.dumps({k: v for k, v in idx.items() if k != "shards"}, indent=1))
        print(f"available from the start: {size_of(a.path)} of {idx['n']}")


if __name__ == "__main__":
    main()
