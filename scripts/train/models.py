"""VGG-style CNNs for IncliNET-style inclination estimation, sized for CPUs.

Three designs share one building block (3x3 convolution, batch norm, ReLU) and
differ in width and depth:

  A  small and shallow: one convolution per stage
  B  wider:             one convolution per stage, about 1.6x the channels of A
  C  deeper:            two convolutions per stage from 32x32 down

Every design halves the resolution twice before its first full-width stage
(a stride-2 stem convolution and a max-pool: 128 -> 64 -> 32), because
full-resolution convolutions are what cost time on a CPU.

Contract with lib/incline (keep exactly): input "image" float32 [N,3,128,128],
RGB, pixel/255; regression output "inclination" [N,1] = tanh t, with
inclination degrees = 45 + 22.5 (t + 1); binary output "reject" [N,1] =
sigmoid probability that a person would reject the galaxy.
"""
from __future__ import annotations

import torch
from torch import nn

IMAGE_SIZE = 128
INPUT_NAME = "image"
INCLINATION_FROM = (-1.0, 1.0)
INCLINATION_TO = (45.0, 90.0)

# stem: channels of the stride-2 convolution (128 -> 64), followed by a 2x2 max-pool (-> 32)
# stages: per stage, the channels of each 3x3 convolution; a 2x2 max-pool ends every stage
# head: width of the hidden dense layer on the flattened 4x4 map
ARCHITECTURES = {
    "A": {"stem": 16, "stages": [[32], [64], [96]], "head": 64},
    "B": {"stem": 24, "stages": [[48], [96], [160]], "head": 128},
    "C": {"stem": 16, "stages": [[24, 24], [48, 48], [96, 96]], "head": 64},
}

# IncliNET's names: Group_0 = A, Group_1 = B, Group_2 = C; the first of each
# group trains on the full training set, the others on seeded two-thirds bags.
REGRESSION_GROUPS = {0: ("A", "model4"), 1: ("B", "model5"), 2: ("C", "model6")}
BAGS = ("full", "bag1", "bag2", "bag3")


def model_specs() -> list[dict]:
    """The 15 ensemble members in a fixed order, with their training settings."""
    specs = []
    for group, (arch, base) in REGRESSION_GROUPS.items():
        for i, subset in enumerate(BAGS):
            name = base if i == 0 else f"{base}{i}"
            specs.append({"name": name, "architecture": arch, "kind": "regression",
                          "group": group, "trainingSubset": subset,
                          "seed": 1000 + 10 * group + i})
    for group, (arch, base) in REGRESSION_GROUPS.items():
        specs.append({"name": f"{base}-binary", "architecture": arch, "kind": "binary",
                      "group": None, "trainingSubset": "full", "seed": 2000 + group})
    return specs


def spec_by_name(name: str) -> dict:
    for spec in model_specs():
        if spec["name"] == name:
            return spec
    raise KeyError(f"unknown model {name!r}; known: {[s['name'] for s in model_specs()]}")


def conv_bn_relu(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class InclineNet(nn.Module):
    """One ensemble member. kind "regression" ends in tanh, "binary" in sigmoid."""

    def __init__(self, architecture: str, kind: str, dropout: float = 0.3):
        super().__init__()
        if kind not in ("regression", "binary"):
            raise ValueError(f"kind must be regression or binary, got {kind!r}")
        cfg = ARCHITECTURES[architecture]
        self.architecture, self.kind = architecture, kind
        layers = conv_bn_relu(3, cfg["stem"], stride=2) + [nn.MaxPool2d(2)]
        cin = cfg["stem"]
        for stage in cfg["stages"]:
            for cout in stage:
                layers += conv_bn_relu(cin, cout)
                cin = cout
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        side = IMAGE_SIZE // 2 ** (2 + len(cfg["stages"]))
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(cin * side * side, cfg["head"]),
            nn.ReLU(inplace=True), nn.Dropout(dropout), nn.Linear(cfg["head"], 1))
        self.squash = nn.Tanh() if kind == "regression" else nn.Sigmoid()

    @property
    def output_name(self) -> str:
        return "inclination" if self.kind == "regression" else "reject"

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Pre-activation output: training uses it for BCE-with-logits."""
        return self.head(self.features(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.squash(self.logits(x))


def build(name: str) -> InclineNet:
    spec = spec_by_name(name)
    return InclineNet(spec["architecture"], spec["kind"])


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_mflops(model: nn.Module) -> float:
    """Multiply-adds x 2 of convolutions and dense layers for one 128x128 image."""
    flops = 0

    def conv_hook(m, _inp, out):
        nonlocal flops
        k = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        flops += 2 * k * out.numel()

    def linear_hook(m, _inp, out):
        nonlocal flops
        flops += 2 * m.in_features * out.numel()

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, IMAGE_SIZE, IMAGE_SIZE))
    model.train(was_training)
    for h in hooks:
        h.remove()
    return flops / 1e6


def degrees_from_tanh(t):
    """The contract's linear map [-1, 1] -> [45, 90] degrees."""
    return 45.0 + 22.5 * (t + 1.0)


def tanh_from_degrees(deg):
    return (deg - 45.0) / 22.5 - 1.0


if __name__ == "__main__":
    for arch in ARCHITECTURES:
        m = InclineNet(arch, "regression")
        print(f"{arch}: {count_parameters(m):>9,d} parameters  {count_mflops(m):7.1f} MFLOPs")
