"""Build the example projects in assets/templates/ with the graph API, so they are always valid.

    .venv/bin/python tools/make_templates.py            # rewrite assets/templates/*.msproj
    .venv/bin/python tools/make_templates.py --out DIR  # write them somewhere else

The output is deterministic (fixed timestamps, sorted JSON): tests/studio/graph/test_templates.py
regenerates every template and compares it byte for byte with the committed file.
Each template's title is the project name; its description is stored beside it in the file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from studio.graph.model import Graph  # noqa: E402
from studio.graph.project import Project, validate_settings  # noqa: E402
from studio.graph.serialize import atomic_write, dumps  # noqa: E402

OUT_DIR = ROOT / "assets" / "templates"
STAMP = "2025-01-01T00:00:00+00:00"  # fixed, so regenerating gives identical bytes
SHAPES = {"classes": ["circle", "square", "triangle", "cross"], "count": 8000}  # explicit: the default has 3
SHAPES_SMALL = {**SHAPES, "count": 4000}  # for the slower networks
SHAPES_CLASSES = len(SHAPES["classes"])
STEP_X, STEP_Y = 200.0, 110.0


class Builder:
    """Adds nodes left to right; `chain` links each new node's "in" to the previous output."""

    def __init__(self) -> None:
        self.graph = Graph()
        self.column = 0

    def add(self, node_id: str, layer: str, params: dict[str, Any] | None = None, *,
            row: float = 0.0, label: str = "", column: int | None = None) -> str:
        col = self.column if column is None else column
        self.graph.add_node(layer, params, node_id=node_id, label=label,
                            position=(col * STEP_X, row * STEP_Y))
        if column is None:
            self.column += 1
        return node_id

    def link(self, src: str, dst: str, dst_port: str = "in", src_port: str = "out") -> None:
        self.graph.connect(src, src_port, dst, dst_port)

    def chain(self, prev: str, *layers: tuple[str, str, dict[str, Any]], row: float = 0.0) -> str:
        for node_id, layer, params in layers:
            self.add(node_id, layer, params, row=row)
            self.link(prev, node_id)
            prev = node_id
        return prev

    def classifier_end(self, logits: str, *, target_shape: tuple[int, ...] = ()) -> None:
        """Output from `logits`, a class-index Target and a CrossEntropy loss."""
        out_col = self.column
        self.add("output", "Output", column=out_col, row=0)
        self.link(logits, "output")
        self.add("target", "Target", {"shape": target_shape, "dtype": "int64"}, column=out_col - 1, row=2)
        self.add("loss", "CrossEntropy", column=out_col, row=1.5)
        self.link(logits, "loss", "input")
        self.link("target", "loss", "target")


def _settings(dataset: str, options: dict[str, Any], *, epochs: int, batch_size: int = 64, lr: float = 1e-3,
              metrics: tuple[str, ...] = ("accuracy",), val_fraction: float = 0.2) -> dict[str, Any]:
    return validate_settings({
        "dataset": {"name": dataset, "options": options, "val_fraction": val_fraction, "seed": 0},
        "epochs": epochs, "batch_size": batch_size, "optimizer": "Adam", "optimizer_options": {"lr": lr},
        "metrics": list(metrics), "checkpoint_interval": 0,
    })


def _conv(cin: int, cout: int, kernel: int = 3, *, stride: int = 1, padding: int = 1, **extra: Any) -> dict:
    return {"in_channels": cin, "out_channels": cout, "kernel_size": kernel, "stride": stride,
            "padding": padding, **extra}


def _cbr(prefix: str, cin: int, cout: int, **conv: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Conv2d -> BatchNorm2d -> ReLU (the conv has no bias: the norm's shift replaces it)."""
    return [(f"{prefix}", "Conv2d", _conv(cin, cout, bias=False, **conv)),
            (f"{prefix}_bn", "BatchNorm2d", {"num_features": cout}),
            (f"{prefix}_relu", "ReLU", {})]


# ----------------------------------------------------------------------------------- templates ---
def mlp() -> tuple[Project, str]:
    b = Builder()
    b.add("image", "Input", {"shape": (1, 8, 8)})
    last = b.chain("image", ("flatten", "Flatten", {}),
                   ("fc1", "Linear", {"in_features": 64, "out_features": 128}), ("relu1", "ReLU", {}),
                   ("fc2", "Linear", {"in_features": 128, "out_features": 64}), ("relu2", "ReLU", {}),
                   ("fc3", "Linear", {"in_features": 64, "out_features": 10}))
    b.classifier_end(last)
    project = Project(graph=b.graph, name="MLP on Digits",
                      settings=_settings("digits", {}, epochs=20, batch_size=32))
    return project, ("A multilayer perceptron: the 8×8 digit images flattened to 64 numbers, two hidden "
                     "layers of ReLU units, and 10 class scores. The simplest network to start from.")


def lenet5() -> tuple[Project, str]:
    b = Builder()
    b.add("image", "Input", {"shape": (1, 28, 28)})
    last = b.chain("image", *_cbr("conv1", 1, 6, kernel=5, padding=2),
                   ("pool1", "MaxPool2d", {"kernel_size": 2}),
                   *_cbr("conv2", 6, 16, kernel=5, padding=0),
                   ("pool2", "MaxPool2d", {"kernel_size": 2}), ("flatten", "Flatten", {}),
                   ("fc1", "Linear", {"in_features": 400, "out_features": 120}), ("relu3", "ReLU", {}),
                   ("fc2", "Linear", {"in_features": 120, "out_features": 84}), ("relu4", "ReLU", {}),
                   ("fc3", "Linear", {"in_features": 84, "out_features": SHAPES_CLASSES}))
    b.classifier_end(last)
    project = Project(graph=b.graph, name="LeNet-5 on Shapes",
                      settings=_settings("shapes", SHAPES, epochs=2, batch_size=32, lr=2e-3))
    return project, ("LeCun's classic convolutional network (with batch normalization): two "
                     "convolution-pooling stages, then three fully connected layers, classifying 28×28 "
                     "pictures of circles, squares, triangles and crosses.")


def _residual(b: Builder, prefix: str, x: str, channels: int) -> str:
    """x -> conv-bn-relu-conv-bn, added to x, then ReLU."""
    last = b.chain(x, *_cbr(f"{prefix}_conv1", channels, channels),
                   (f"{prefix}_conv2", "Conv2d", _conv(channels, channels, bias=False)),
                   (f"{prefix}_bn2", "BatchNorm2d", {"num_features": channels}))
    b.add(f"{prefix}_add", "Add")
    b.link(last, f"{prefix}_add")
    b.link(x, f"{prefix}_add")  # the skip connection
    return b.chain(f"{prefix}_add", (f"{prefix}_relu", "ReLU", {}))


def resnet_small() -> tuple[Project, str]:
    b = Builder()
    b.add("image", "Input", {"shape": (1, 28, 28)})
    x = b.chain("image", *_cbr("stem", 1, 16, stride=2))  # 16×14×14
    x = _residual(b, "res1", x, 16)
    x = b.chain(x, *_cbr("down", 16, 32, stride=2))  # 32×7×7
    x = _residual(b, "res2", x, 32)
    last = b.chain(x, ("gap", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
                   ("fc", "Linear", {"in_features": 32, "out_features": SHAPES_CLASSES}))
    b.classifier_end(last)
    project = Project(graph=b.graph, name="Small ResNet on Shapes",
                      settings=_settings("shapes", SHAPES_SMALL, epochs=3, batch_size=32, lr=2e-3))
    return project, ("A small residual network: each block adds its input back to its output (Add), so "
                     "gradients flow through the skip connections. Global average pooling feeds the "
                     "classifier.")


def unet_small() -> tuple[Project, str]:
    b = Builder()
    b.add("image", "Input", {"shape": (1, 28, 28)})
    e1 = b.chain("image", *_cbr("enc1", 1, 8))  # 8×28×28
    x = b.chain(e1, ("pool1", "MaxPool2d", {"kernel_size": 2}))
    e2 = b.chain(x, *_cbr("enc2", 8, 16))  # 16×14×14
    x = b.chain(e2, ("pool2", "MaxPool2d", {"kernel_size": 2}))
    x = b.chain(x, *_cbr("bottom", 16, 32))  # 32×7×7
    x = b.chain(x, ("up2", "Upsample", {"scale_factor": 2.0}))
    b.add("skip2", "Concat", {"dim": 1})
    b.link(x, "skip2")
    b.link(e2, "skip2")  # 48×14×14
    x = b.chain("skip2", *_cbr("dec2", 48, 16), ("up1", "Upsample", {"scale_factor": 2.0}))
    b.add("skip1", "Concat", {"dim": 1})
    b.link(x, "skip1")
    b.link(e1, "skip1")  # 24×28×28
    x = b.chain("skip1", *_cbr("dec1", 24, 8))
    last = b.chain(x, ("head", "Conv2d", _conv(8, SHAPES_CLASSES, kernel=1, padding=0)),
                   ("gap", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}))
    b.classifier_end(last)
    project = Project(graph=b.graph, name="Small U-Net on Shapes",
                      settings=_settings("shapes", SHAPES_SMALL, epochs=3, batch_size=32, lr=2e-3))
    return project, ("A small U-Net: an encoder halves the image twice, a decoder upsamples it back, and "
                     "Concat skip connections hand the decoder the encoder's sharp features. Here a 1×1 "
                     "convolution scores each pixel per class and global pooling turns that into one "
                     "shape class per image.")


def sagan_discriminator() -> tuple[Project, str]:
    b = Builder()
    b.add("image", "Input", {"shape": (1, 28, 28)})
    lrelu = {"negative_slope": 0.1}
    last = b.chain("image",
                   ("conv1", "Conv2d", _conv(1, 32, 4, stride=2, padding=1, spectral_norm=True)),  # 14×14
                   ("lrelu1", "LeakyReLU", lrelu),
                   ("conv2", "Conv2d", _conv(32, 64, 4, stride=2, padding=1, spectral_norm=True)),  # 7×7
                   ("lrelu2", "LeakyReLU", lrelu),
                   ("attention", "SelfAttention2d", {"in_dim": 64}),
                   ("conv3", "Conv2d", _conv(64, 128, 3, stride=2, padding=1, spectral_norm=True)),  # 4×4
                   ("lrelu3", "LeakyReLU", lrelu),
                   ("gap", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
                   ("fc", "Linear", {"in_features": 128, "out_features": SHAPES_CLASSES,
                                     "spectral_norm": True}))
    b.classifier_end(last)
    project = Project(graph=b.graph, name="SAGAN discriminator on Shapes",
                      settings=_settings("shapes", SHAPES, epochs=5, batch_size=32, lr=2e-3))
    return project, ("The discriminator of a Self-Attention GAN: spectrally normalized convolutions "
                     "(SN-Conv2d) with LeakyReLU and a self-attention layer over the 7×7 feature map. "
                     "Here it classifies the real shape classes instead of real versus fake.")


def transformer_classifier() -> tuple[Project, str]:
    b = Builder()
    b.add("image", "Input", {"shape": (1, 8, 8)})
    # the 8 rows of a digit are the tokens; a Conv1d over rows embeds them and tells neighbours apart
    last = b.chain("image", ("rows", "Reshape", {"shape": (8, 8)}),
                   ("to_channels", "Permute", {"dims": (2, 1)}),
                   ("embed", "Conv1d", {"in_channels": 8, "out_channels": 32, "kernel_size": 3,
                                        "padding": 1}),
                   ("to_tokens", "Permute", {"dims": (2, 1)}),
                   ("encoder1", "TransformerEncoderLayer", {"d_model": 32, "nhead": 4,
                                                            "dim_feedforward": 64, "dropout": 0.0}),
                   ("encoder2", "TransformerEncoderLayer", {"d_model": 32, "nhead": 4,
                                                            "dim_feedforward": 64, "dropout": 0.0}),
                   ("to_features", "Permute", {"dims": (2, 1)}),
                   ("as_image", "Reshape", {"shape": (32, 8, 1)}),
                   ("mean_pool", "AdaptiveAvgPool2d", {"output_size": 1}), ("flatten", "Flatten", {}),
                   ("fc", "Linear", {"in_features": 32, "out_features": 10}))
    b.classifier_end(last)
    project = Project(graph=b.graph, name="Transformer classifier on Digits",
                      settings=_settings("digits", {}, epochs=20, batch_size=32, lr=2e-3))
    return project, ("A transformer encoder reading each 8×8 digit as a sequence of 8 row tokens: a "
                     "convolution embeds the rows, two self-attention encoder layers mix them, and the "
                     "mean over tokens feeds the 10 class scores.")


def char_gru() -> tuple[Project, str]:
    from studio.training.datasets import open_dataset

    source = open_dataset({"name": "chars", "options": {}, "val_fraction": 0.1, "seed": 0})
    length, vocab = int(source.input_shape[0]), len(source.vocab)
    b = Builder()
    b.add("text", "Input", {"shape": (length,), "dtype": "int64"})
    last = b.chain("text", ("embed", "Embedding", {"num_embeddings": vocab, "embedding_dim": 32}),
                   ("gru", "GRU", {"input_size": 32, "hidden_size": 128}),
                   ("fc", "Linear", {"in_features": 128, "out_features": vocab}))
    # N×vocab×L: class scores on dim 1, the layout CrossEntropy and the accuracy metric read
    scores = b.chain(last, ("classes_first", "Permute", {"dims": (2, 1)}))
    b.classifier_end(scores, target_shape=(length,))
    project = Project(graph=b.graph, name="Character GRU",
                      settings=_settings("chars", {}, epochs=5, batch_size=32, lr=3e-3,
                                         val_fraction=0.1))
    return project, ("A character-level language model: each character is embedded, a GRU reads the "
                     "text left to right, and a linear layer scores the next character at every step "
                     "(cross-entropy over the vocabulary).")


TEMPLATES: dict[str, Callable[[], tuple[Project, str]]] = {
    "mlp": mlp, "lenet5": lenet5, "resnet_small": resnet_small, "unet_small": unet_small,
    "sagan_discriminator": sagan_discriminator, "transformer_classifier": transformer_classifier,
    "char_gru": char_gru,
}


def template_text(name: str) -> str:
    """The exact file contents of one template."""
    project, description = TEMPLATES[name]()
    project.created = project.modified = STAMP
    data = project.to_dict()
    if hasattr(project, "description"):
        project.description = description
        data = project.to_dict()
    else:
        data["description"] = description
    return dumps(data)


def write_templates(folder: Path = OUT_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TEMPLATES:
        path = folder / f"{name}.msproj"
        atomic_write(path, template_text(name))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"folder to write into (default {OUT_DIR})")
    args = parser.parse_args(argv)
    for path in write_templates(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
