"""Train the inclination ensemble, one model after another, resumably.

  /usr/bin/python3 scripts/train/train.py --data data/galaxies-v1 --runs scripts/train/runs
      [--models all|model4,model5-binary,...] [--epochs N] [--budget-minutes M] [--limit N]

Per epoch, runs/<name>/last.pt holds everything needed to continue exactly
(model, optimizer, scheduler, epoch, RNG states); best.pt the weights with the
best validation score; done.json marks a finished model. Rerunning the same
command continues where it stopped. --budget-minutes stops cleanly after the
epoch during which the time ran out, so a session can train in chunks.

Regressors learn tanh t = (inclination - 45) / 22.5 - 1 on non-rejected galaxies
(mean squared error); binaries learn "a person would reject it" with BCE on all
images. The validation part (10 %, seeded) is fixed per data version.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import models  # noqa: E402

BATCH = 64
LEARNING_RATE = 1e-3
GRADIENT_CLIP = 5.0
WEIGHT_DECAY = 1e-4
BAG_FRACTION = 2 / 3
# Epochs by kind. A binary classifier sees every image (27,000 of the 30,000), a regressor
# only the usable ones (about 10,000, two thirds of that for a bag), so 3 epochs give the
# binaries about as many steps as 6 give the regressors; the whole ensemble then fits one
# session beside other work, far under the 8 CPU-hour budget (README.md has the figures).
EPOCHS = {"regression": 6, "binary": 3}


def atomic_save(obj, path: str) -> None:
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def rng_states() -> dict:
    return {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()}


def set_rng_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])


def training_indices(spec: dict, train_idx: np.ndarray, labels: dict) -> np.ndarray:
    pool = train_idx
    if spec["kind"] == "regression":
        pool = pool[common.regression_usable(labels)[pool]]
    if spec["trainingSubset"] != "full":
        rng = np.random.default_rng(spec["seed"])
        pool = np.sort(rng.choice(pool, size=int(round(len(pool) * BAG_FRACTION)), replace=False))
    return pool


def validate(model: models.InclineNet, images: torch.Tensor, labels: dict, val_idx: np.ndarray) -> dict:
    if model.kind == "regression":
        idx = val_idx[common.regression_usable(labels)[val_idx]]
        t = common.predict(model, images[idx], both_orientations=False)
        err = models.degrees_from_tanh(t) - labels["inclination"][idx]
        return {"rms": float(np.sqrt(np.mean(err ** 2))), "images": int(len(idx))}
    p = common.predict(model, images[val_idx], both_orientations=False)
    y = labels["reject"][val_idx]
    eps = 1e-7
    bce = -np.mean(y * np.log(p + eps) + (~y) * np.log(1 - p + eps))
    return {"auc": common.auc(p, y), "accuracy": float(np.mean((p >= 0.5) == y)),
            "bce": float(bce), "images": int(len(val_idx))}


def score(validation: dict) -> float:
    """Lower is better: rms in degrees, or validation BCE for binaries."""
    return validation["rms"] if "rms" in validation else validation["bce"]


def train_model(name: str, args, images: torch.Tensor, labels: dict, train_idx, val_idx,
                data_version: str, deadline: float) -> str:
    """Trains (or continues) one model. Returns "done", "stopped" (budget) or "skipped"."""
    spec = models.spec_by_name(name)
    run_dir = os.path.join(args.runs, name)
    os.makedirs(run_dir, exist_ok=True)
    if os.path.exists(os.path.join(run_dir, "done.json")):
        print(f"{name}: already done")
        return "skipped"

    torch.manual_seed(spec["seed"])
    model = models.build(name)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    epochs = args.epochs or EPOCHS[spec["kind"]]
    state = {"epoch": -1, "best": math.inf, "cpuSeconds": 0.0, "wallSeconds": 0.0, "history": []}
    last_path = os.path.join(run_dir, "last.pt")
    if os.path.exists(last_path):
        ckpt = torch.load(last_path, map_location="cpu")
        if (ckpt["dataVersion"], ckpt["dataImages"]) != (data_version, len(images)):
            raise RuntimeError(f"{name}: checkpoint is for {ckpt['dataVersion']} ({ckpt['dataImages']} images), "
                               f"data is {data_version} ({len(images)}); move {run_dir} away to start over")
        if ckpt["epochs"] != epochs:
            print(f"{name}: continuing the checkpoint's plan of {ckpt['epochs']} epochs (not {epochs})")
            epochs = ckpt["epochs"]
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if os.path.exists(last_path):
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        state = ckpt["state"]
        set_rng_states(ckpt["rng"])
        print(f"{name}: resuming after epoch {state['epoch'] + 1}/{epochs}")

    pool = training_indices(spec, train_idx, labels)
    if spec["kind"] == "regression":
        targets = torch.from_numpy(models.tanh_from_degrees(labels["inclination"])).float()
        loss_fn = nn.MSELoss()
    else:
        targets = torch.from_numpy(labels["reject"].astype(np.float32))
        loss_fn = nn.BCEWithLogitsLoss()
    print(f"{name}: arch {spec['architecture']} {spec['kind']} subset {spec['trainingSubset']} "
          f"{len(pool)} training images, {epochs} epochs, {models.count_parameters(model):,} parameters")

    while state["epoch"] + 1 < epochs:
        if time.time() >= deadline:
            return "stopped"
        epoch = state["epoch"] + 1
        # Shuffling and augmentation come from a generator seeded by (model, epoch),
        # so a resumed run draws exactly what an uninterrupted one would.
        gen = torch.Generator().manual_seed(spec["seed"] * 1000 + epoch)
        order = torch.from_numpy(pool)[torch.randperm(len(pool), generator=gen)]
        model.train()
        t_wall, t_cpu = time.time(), time.process_time()
        loss_sum, seen = 0.0, 0
        n_batches = len(order) // BATCH or 1  # drop the ragged last batch (BatchNorm dislikes tiny ones)
        for b in range(n_batches):
            idx = order[b * BATCH:(b + 1) * BATCH]
            x = common.augment(common.to_input(images[idx]), gen)
            y = targets[idx][:, None]
            optimizer.zero_grad(set_to_none=True)
            out = model.logits(x) if spec["kind"] == "binary" else model(x)
            loss = loss_fn(out, y)
            loss.backward()
            # A wide net (architecture B) at lr 1e-3 once pushed its tanh into saturation in the
            # preliminary run (model52, 4.2 deg); clipping the gradient norm keeps early steps sane.
            torch.nn.utils.clip_grad_norm_(model.parameters(), GRADIENT_CLIP)
            optimizer.step()
            loss_sum += float(loss) * len(idx)
            seen += len(idx)
            if args.log_every and (b + 1) % args.log_every == 0:
                print(f"  {name} epoch {epoch + 1} batch {b + 1}/{n_batches} loss {loss_sum / seen:.4f} "
                      f"{seen / (time.time() - t_wall):.0f} images/s", flush=True)
        scheduler.step()
        train_wall = time.time() - t_wall
        validation = validate(model, images, labels, val_idx)
        wall, cpu = time.time() - t_wall, time.process_time() - t_cpu
        state["epoch"] = epoch
        state["cpuSeconds"] += cpu
        state["wallSeconds"] += wall
        entry = {"epoch": epoch + 1, "loss": loss_sum / max(seen, 1), "validation": validation,
                 "imagesPerSecond": seen / train_wall, "wallSeconds": wall, "cpuSeconds": cpu}
        state["history"].append(entry)
        improved = score(validation) < state["best"]
        meta = {"name": name, "spec": spec, "dataVersion": data_version, "dataImages": len(images),
                "epochs": epochs}
        if improved:
            state["best"] = score(validation)
            atomic_save({**meta, "model": model.state_dict(), "epoch": epoch, "validation": validation},
                        os.path.join(run_dir, "best.pt"))
        atomic_save({**meta, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict(), "state": state, "rng": rng_states()}, last_path)
        shown = " ".join(f"{k} {v:.4f}" for k, v in validation.items() if k != "images")
        print(f"{name} epoch {epoch + 1}/{epochs} loss {entry['loss']:.4f} val {shown}"
              f"{' (best)' if improved else ''} {entry['imagesPerSecond']:.0f} images/s "
              f"{wall:.0f} s wall {cpu:.0f} s cpu", flush=True)

    with open(os.path.join(run_dir, "done.json"), "w") as f:
        json.dump({"name": name, "dataVersion": data_version, "epochs": epochs,
                   "trainingImages": int(len(pool)), "best": state["best"],
                   "cpuSeconds": state["cpuSeconds"], "wallSeconds": state["wallSeconds"],
                   "history": state["history"]}, f, indent=2)
    return "done"


def write_summary(args, names, data_version, n_train, n_val) -> None:
    """runs/training.json: what export.py copies into the manifest's "training"."""
    per_model, cpu, wall = {}, 0.0, 0.0
    for name in names:
        last = os.path.join(args.runs, name, "last.pt")
        if not os.path.exists(last):
            continue
        st = torch.load(last, map_location="cpu")["state"]
        cpu += st["cpuSeconds"]
        wall += st["wallSeconds"]
        ips = [h["imagesPerSecond"] for h in st["history"]]
        per_model[name] = {"epochsDone": st["epoch"] + 1, "cpuSeconds": round(st["cpuSeconds"], 1),
                           "imagesPerSecond": round(float(np.median(ips)), 1) if ips else None,
                           "done": os.path.exists(os.path.join(args.runs, name, "done.json"))}
    summary = {"dataVersion": data_version, "trainImages": int(n_train), "validationImages": int(n_val),
               "cpuSeconds": round(cpu, 1), "wallSeconds": round(wall, 1), "threads": args.threads,
               "batch": BATCH, "optimizer": f"Adam lr {LEARNING_RATE} weight decay {WEIGHT_DECAY}, cosine, gradient norm clipped at {GRADIENT_CLIP}",
               "augmentation": "180-degree rotation, horizontal/vertical flips, brightness/contrast jitter",
               "models": per_model}
    with open(os.path.join(args.runs, "training.json"), "w") as f:
        json.dump(summary, f, indent=2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/galaxies-v1")
    ap.add_argument("--runs", default="scripts/train/runs")
    ap.add_argument("--models", default="all")
    ap.add_argument("--epochs", type=int, default=None, help="override the per-architecture plan")
    ap.add_argument("--budget-minutes", type=float, default=None)
    ap.add_argument("--limit", type=int, default=None, help="use only the first N images (smoke tests)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log-every", type=int, default=100, help="batches between progress lines (0: none)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    deadline = time.time() + 60 * args.budget_minutes if args.budget_minutes else math.inf

    names = [s["name"] for s in models.model_specs()] if args.models == "all" else args.models.split(",")
    for name in names:
        models.spec_by_name(name)
    os.makedirs(args.runs, exist_ok=True)
    data_version = os.path.basename(os.path.normpath(args.data)) + (f"[:{args.limit}]" if args.limit else "")
    t = time.time()
    images, labels = common.load_all(args.data, args.limit)
    train_idx, val_idx = common.split(len(images))
    print(f"{args.data}: {len(images)} images ({labels['reject'].mean():.0%} rejected) loaded in "
          f"{time.time() - t:.0f} s; {len(train_idx)} training, {len(val_idx)} validation")

    status = "done"
    for name in names:
        result = train_model(name, args, images, labels, train_idx, val_idx, data_version, deadline)
        write_summary(args, names, data_version, len(train_idx), len(val_idx))
        if result == "stopped":
            status = "stopped"
            print(f"time budget of {args.budget_minutes} min used; rerun the same command to continue")
            break
    print(f"training {status}")
    return 0 if status == "done" else 3


if __name__ == "__main__":
    sys.exit(main())
