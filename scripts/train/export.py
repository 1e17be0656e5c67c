"""Export the ensemble to ONNX and write models-onnx/manifest.json.

  /usr/bin/python3 scripts/train/export.py --runs scripts/train/runs --out models-onnx
      [--models all|model4,...] [--allow-untrained]

For each model, runs/<name>/best.pt is exported (opset 17, dynamic batch axis,
eval mode so BatchNorm folds into the convolutions and dropout disappears).
A model without best.pt is skipped, unless --allow-untrained, which exports
its randomly initialised weights (seeded) and flags it "trained": false in the
manifest so nobody mistakes it for a trained one.

Each file is checked with onnx.checker and for leftover BatchNormalization
nodes, and onnxruntime-node is compared with torch on saved samples
(scripts/train/check-onnx.mjs, run at the end). The manifest takes test
metrics from runs/evaluation.json (written by evaluate.py) when it exists.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models  # noqa: E402

OPSET = 17
FORMAT_VERSION = 1


def export_one(model: models.InclineNet, path: str) -> None:
    model.eval()
    dummy = torch.rand(2, 3, models.IMAGE_SIZE, models.IMAGE_SIZE)
    torch.onnx.export(
        model, dummy, path, opset_version=OPSET, do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
        input_names=[models.INPUT_NAME], output_names=[model.output_name],
        dynamic_axes={models.INPUT_NAME: {0: "N"}, model.output_name: {0: "N"}})
    graph = onnx.load(path)
    onnx.checker.check_model(graph)
    ops = {n.op_type for n in graph.graph.node}
    if "BatchNormalization" in ops:
        raise RuntimeError(f"{path}: BatchNormalization was not folded into the convolutions")


def write_check_sample(model: models.InclineNet, name: str, check_dir: str, seed: int) -> None:
    """A fixed input and torch's output, for check-onnx.mjs to compare against."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(2, 3, models.IMAGE_SIZE, models.IMAGE_SIZE, generator=g)
    with torch.no_grad():
        y = model.eval()(x)
    with open(os.path.join(check_dir, f"{name}.json"), "w") as f:
        json.dump({"input": f"{name}.input.bin", "output": model.output_name,
                   "expected": y.numpy().ravel().tolist()}, f)
    x.numpy().astype("<f4").tofile(os.path.join(check_dir, f"{name}.input.bin"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default="scripts/train/runs")
    ap.add_argument("--out", default="models-onnx")
    ap.add_argument("--models", default="all")
    ap.add_argument("--allow-untrained", action="store_true",
                    help="export random-init weights for models with no best.pt, flagged trained=false")
    ap.add_argument("--skip-node-check", action="store_true",
                    help="do not compare onnxruntime-node with torch (scripts/train/check-onnx.mjs)")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)

    names = [s["name"] for s in models.model_specs()] if args.models == "all" else args.models.split(",")
    os.makedirs(args.out, exist_ok=True)
    check_dir = os.path.join(args.runs, "onnx-check")
    os.makedirs(check_dir, exist_ok=True)

    evaluation_path = os.path.join(args.runs, "evaluation.json")
    evaluation = json.load(open(evaluation_path)) if os.path.exists(evaluation_path) else None
    summary_path = os.path.join(args.runs, "training.json")
    training = json.load(open(summary_path)) if os.path.exists(summary_path) else {}

    entries = []
    for name in names:
        spec = models.spec_by_name(name)
        ckpt_path = os.path.join(args.runs, name, "best.pt")
        model = models.build(name)
        if os.path.exists(ckpt_path):
            ckpt = torch.load(ckpt_path, map_location="cpu")
            model.load_state_dict(ckpt["model"])
            last = torch.load(os.path.join(args.runs, name, "last.pt"), map_location="cpu")
            meta = {"trained": True, "dataVersion": ckpt["dataVersion"],
                    "epochs": last["state"]["epoch"] + 1, "bestEpoch": ckpt["epoch"] + 1,
                    "plannedEpochs": ckpt["epochs"],
                    "trainingComplete": os.path.exists(os.path.join(args.runs, name, "done.json")),
                    "metrics": {"validation": ckpt["validation"]}}
        elif args.allow_untrained:
            torch.manual_seed(spec["seed"])
            model = models.build(name)
            meta = {"trained": False, "dataVersion": None, "epochs": 0, "bestEpoch": None,
                    "plannedEpochs": None, "trainingComplete": False, "metrics": {}}
        else:
            print(f"{name}: no {ckpt_path}, skipped (use --allow-untrained for a random-init file)")
            continue
        if evaluation and meta["trained"] and name in evaluation.get("models", {}):
            meta["metrics"]["test"] = evaluation["models"][name]
        file = f"{name}.onnx"
        export_one(model, os.path.join(args.out, file))
        write_check_sample(model, name, check_dir, spec["seed"])
        entries.append({
            "name": name, "file": file, "group": spec["group"],
            "architecture": spec["architecture"], "kind": spec["kind"], "output": model.output_name,
            "trainingSubset": spec["trainingSubset"], "seed": spec["seed"],
            "dataVersion": meta["dataVersion"], "epochs": meta["epochs"],
            "parameters": models.count_parameters(model),
            "mflops": round(models.count_mflops(model), 1),
            "trained": meta["trained"], "trainingComplete": meta["trainingComplete"],
            "bestEpoch": meta["bestEpoch"], "plannedEpochs": meta["plannedEpochs"],
            "metrics": meta["metrics"]})
        size = os.path.getsize(os.path.join(args.out, file))
        print(f"{name}: {file} {size / 1e6:.2f} MB trained={meta['trained']}")

    manifest = {
        "formatVersion": FORMAT_VERSION,
        "input": {"name": models.INPUT_NAME, "shape": [None, 3, models.IMAGE_SIZE, models.IMAGE_SIZE],
                  "layout": "NCHW", "channels": "RGB", "range": [0, 1]},
        "inclinationMap": {"from": list(models.INCLINATION_FROM), "to": list(models.INCLINATION_TO)},
        # True only when every listed model was trained; random-init placeholders make it false.
        "trained": bool(entries) and all(e["trained"] for e in entries),
        "models": entries,
        "training": training,
        "evaluation": {k: v for k, v in evaluation.items() if k != "models"} if evaluation else None,
        "exported": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "opset": OPSET,
    }
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(args.out, e["file"])) for e in entries)
    print(f"manifest: {len(entries)} models, {total / 1e6:.2f} MB in all")
    if args.skip_node_check:
        return 0
    # There is no Python onnxruntime here: the Node runtime that will serve the
    # models checks them against torch's outputs.
    check = os.path.join(os.path.dirname(os.path.abspath(__file__)), "check-onnx.mjs")
    return subprocess.run(["node", check, "--models", args.out, "--runs", args.runs]).returncode


if __name__ == "__main__":
    sys.exit(main())
