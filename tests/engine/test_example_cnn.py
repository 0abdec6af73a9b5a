"""examples/train_cnn.py (small CNN on the synthetic shapes data) and its bundled dataset."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

import engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NPZ = Path(__file__).resolve().parents[2] / "assets" / "datasets" / "shapes_small.npz"


def _load(name: str):
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_npz_shapes_dtypes_balance():
    assert NPZ.stat().st_size < 2_000_000
    with np.load(NPZ) as data:
        assert sorted(data.files) == ["images", "labels"]
        images, labels = data["images"], data["labels"]
    assert images.shape == (2000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (2000,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [500, 500, 500, 500]
    assert 0 < images.mean() < 255


def test_generator_is_deterministic_and_matches_bundle():
    shapes = _load("shapes_dataset")
    a_img, a_lab = shapes.generate_shapes(40, seed=3)
    b_img, b_lab = shapes.generate_shapes(40, seed=3)
    assert np.array_equal(a_img, b_img) and np.array_equal(a_lab, b_lab)
    assert not np.array_equal(a_img, shapes.generate_shapes(40, seed=4)[0])
    images, labels = shapes.load_bundled()
    gen_img, gen_lab = shapes.generate_shapes(2000, seed=0)
    assert np.array_equal(images, gen_img) and np.array_equal(labels, gen_lab)
    ds = shapes.ShapesDataset(images[:5], labels[:5])
    x, y = ds[0]
    assert len(ds) == 5 and x.shape == (1, 28, 28) and x.dtype == engine.float32 and y == int(labels[0])


@pytest.mark.timeout(60)
def test_train_reduced_budget_beats_chance(tmp_path):
    example = _load("train_cnn")
    lines = []
    save = tmp_path / "w.pt"
    result = example.train(epochs=1, train_limit=800, save_path=str(save), log=lines.append)
    assert result["test_accuracy"] > 0.5  # chance is 0.25
    assert len(lines) == 2 and lines[0].startswith("epoch 1/1")
    model = example.ShapesCNN()
    model.load_state_dict(engine.load(str(save)))
    assert engine.equal(model.classifier[1].weight, result["model"].classifier[1].weight)
