"""Built-in datasets: what open_dataset gives for each (shapes, dtypes, ranges, balance), determinism in the
seed, the split, preview(), option errors, and the project's check of the dataset setting."""

import numpy as np
import pytest

import engine
from engine.utils.data import DataLoader
from studio.graph import project as project_mod
from studio.graph.errors import ProjectFormatError
from studio.graph.project import validate_settings
from studio.training.datasets import NAMES, DatasetError, list_datasets, open_dataset


def _all(source):
    (xt, yt), (xv, yv) = source.train.arrays(), source.val.arrays()
    return np.concatenate([xt, xv]), np.concatenate([yt, yv])


def test_list_datasets_names_the_builtins():
    listed = {d["name"]: d for d in list_datasets()}
    assert set(listed) == {"shapes", "digits", "spirals", "moons", "sine", "chars"}
    assert listed["shapes"]["kind"] == "images" and listed["chars"]["kind"] == "sequences"
    assert all(d["description"] for d in listed.values())


def test_project_knows_every_dataset_name():
    assert set(project_mod.DATASET_NAMES) == set(NAMES)


@pytest.mark.parametrize("options, classes", [({}, ["circle", "square", "triangle"]),
                                              ({"classes": ["circle", "square", "triangle", "cross"]}, None)])
def test_shapes(options, classes):
    src = open_dataset({"name": "shapes", "options": {**options, "count": 400}, "val_fraction": 0.25})
    x, y = _all(src)
    names = classes or options["classes"]
    assert src.task == "classification" and src.kind == "images" and src.class_names == names
    assert src.input_shape == (1, 28, 28) and src.target_shape == () and src.num_classes == len(names)
    assert x.dtype == np.float32 and y.dtype == np.int64 and x.shape == (400, 1, 28, 28)
    assert x.min() >= 0.0 and x.max() <= 1.0 and x.std() > 0.1
    counts = np.bincount(y)
    assert len(counts) == len(names) and counts.max() - counts.min() <= 1  # balanced
    val_counts = np.bincount(src.val.y)
    assert len(src.val) == 100 and val_counts.max() - val_counts.min() <= 1  # stratified
    xi, yi = src.train[0]
    assert xi.dtype == engine.float32 and tuple(xi.shape) == (1, 28, 28) and yi.dtype == engine.int64


def test_shapes_deterministic_in_seed_and_sized():
    spec = {"name": "shapes", "options": {"count": 60, "size": 16}, "seed": 3}
    a, b = open_dataset(spec), open_dataset(spec)
    assert np.array_equal(a.train.arrays()[0], b.train.arrays()[0]) and np.array_equal(a.val.y, b.val.y)
    c = open_dataset({**spec, "seed": 4})
    assert not np.array_equal(a.train.arrays()[0], c.train.arrays()[0])
    assert a.input_shape == (1, 16, 16)


def test_digits_are_the_real_8x8_digits():
    src = open_dataset({"name": "digits"})
    x, y = _all(src)
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32 and x.min() == 0 and x.max() == 1.0
    assert src.class_names == [str(d) for d in range(10)] and np.bincount(y).min() >= 170
    assert len(src.val) == pytest.approx(1797 * 0.2, abs=6)
    # the first sample of UCI optdigits' test set is a 0: a ring of ink with a hole in the middle
    first = np.load(project_mod.Path(__file__).parents[3] / "assets/datasets/digits_8x8.npz")
    assert first["labels"][0] == 0 and first["images"][0, 4, 4] == 0 and first["images"][0, 1, 2] >= 10


@pytest.mark.parametrize("name, options, classes", [("spirals", {"arms": 3, "count": 300}, 3),
                                                     ("moons", {"count": 300}, 2)])
def test_point_clouds(name, options, classes):
    src = open_dataset({"name": name, "options": options})
    x, y = _all(src)
    assert src.input_shape == (2,) and x.dtype == np.float32 and x.shape == (300, 2)
    assert np.bincount(y).tolist() == [300 // classes] * classes and src.num_classes == classes
    assert np.abs(x).max() < 3
    assert np.array_equal(x, _all(open_dataset({"name": name, "options": options}))[0])


def test_sine_is_regression():
    src = open_dataset({"name": "sine", "options": {"count": 500, "noise": 0.0}})
    x, y = _all(src)
    assert src.task == "regression" and src.num_classes is None and src.class_names is None
    assert src.input_shape == (1,) and src.target_shape == (1,) and y.dtype == np.float32
    assert -np.pi <= x.min() and x.max() <= np.pi and np.allclose(y, np.sin(x), atol=1e-6)
    xb, yb = next(iter(DataLoader(src.train, batch_size=8)))
    assert tuple(xb.shape) == (8, 1) and tuple(yb.shape) == (8, 1) and yb.dtype == engine.float32


def test_chars_gives_index_sequences_and_next_characters():
    text = "abcabcabcabd" * 5
    src = open_dataset({"name": "chars", "options": {"seq_len": 6, "text": text}})
    assert src.task == "sequence" and src.vocab == ["a", "b", "c", "d"] and src.num_classes == 4
    assert src.input_shape == (6,) and src.target_shape == (6,)
    x, y = src.train.arrays()
    assert x.dtype == np.int64 and y.dtype == np.int64
    decoded = ["".join(src.vocab[i] for i in row) for row in x]
    assert all(d in text for d in decoded)
    assert np.array_equal(x[:, 1:], y[:, :-1])  # y is x shifted by one character
    xb, yb = next(iter(DataLoader(src.train, batch_size=4)))
    assert xb.dtype == engine.int64 and tuple(yb.shape) == (4, 6)
    default = open_dataset({"name": "chars"})
    assert len(default.train) > 500 and default.input_shape == (32,)


def test_preview_of_images_rows_and_sequences():
    p = open_dataset({"name": "shapes", "options": {"count": 30}}).preview(4)
    assert p["kind"] == "images" and len(p["samples"]) == 4 and p["samples"][0].dtype == np.uint8
    assert p["samples"][0].shape == (28, 28) and set(p["labels"]) <= {"circle", "square", "triangle"}
    assert p["class_counts"] == {"circle": 10, "square": 10, "triangle": 10}
    assert p["input_shape"] == (1, 28, 28) and p["target_shape"] == () and p["train_size"] == 24
    rows = open_dataset({"name": "sine", "options": {"count": 20}}).preview()
    assert rows["kind"] == "rows" and len(rows["samples"]) == 16 and rows["class_counts"] == {}
    assert rows["samples"][0].shape == (1,) and isinstance(rows["labels"][0][0], float)
    seq = open_dataset({"name": "chars", "options": {"seq_len": 5, "text": "hello world, hello"}}).preview(2)
    assert seq["kind"] == "sequences" and all(s in "hello world, hello" for s in seq["samples"])
    assert seq["labels"][0][:-1] == seq["samples"][0][1:]


@pytest.mark.parametrize("spec, message", [
    ({"name": "mnist"}, "unknown dataset 'mnist'"),
    ({"name": "shapes", "size": 3}, "unknown dataset field 'size'"),
    ({"name": "shapes", "val_fraction": 1.0}, "val_fraction must be a number between 0 and 1"),
    ({"name": "shapes", "seed": "x"}, "seed must be a whole number"),
    ({"name": "shapes", "options": {"sise": 3}}, "dataset 'shapes' has no option 'sise'"),
    ({"name": "shapes", "options": {"size": 2}}, "option 'size' of dataset 'shapes' must be a whole number"),
    ({"name": "shapes", "options": {"classes": ["circle", "star"]}}, "option 'classes'"),
    ({"name": "spirals", "options": {"noise": -1}}, "option 'noise' of dataset 'spirals'"),
    ({"name": "chars", "options": {"seq_len": 10, "text": "short"}}, "need at least 12"),
    ({"name": "digits", "options": {"size": 8}}, "dataset 'digits' has no option 'size'"),
])
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(DatasetError, match=message):
        open_dataset(spec)


def test_dataset_setting_check():
    good = {"name": "shapes", "options": {"size": 28, "classes": ["circle", "square"]}, "val_fraction": 0.1,
            "seed": 2}
    assert validate_settings({"dataset": good})["dataset"] == good
    assert validate_settings({"dataset": {"name": "digits"}})["dataset"] == {"name": "digits"}
    assert validate_settings({"dataset": None})["dataset"] is None
    for bad, location, message in (
            ("shapes", "settings.dataset", "dataset must be null or an object"),
            ({"options": {}}, "settings.dataset.name", "name must be one of"),
            ({"name": "mnist"}, "settings.dataset.name", "'mnist'"),
            ({"name": "csv", "options": [1]}, "settings.dataset.options", "options must be an object"),
            ({"name": "csv", "options": {"path": object()}}, "settings.dataset.options", "JSON value"),
            ({"name": "moons", "val_fraction": 0}, "settings.dataset.val_fraction", "between 0 and 1"),
            ({"name": "moons", "seed": 1.5}, "settings.dataset.seed", "whole number"),
            ({"name": "moons", "split": 0.2}, "settings.dataset.split", "has no field 'split'")):
        with pytest.raises(ProjectFormatError, match=message) as info:
            validate_settings({"dataset": bad})
        assert info.value.location == location


@pytest.mark.parametrize("count, fraction, expected",
                         [(100, 0.25, 25), (7, 0.5, 4), (10, 0.01, 1), (3, 0.99, 2)])
def test_split_sizes_are_exact_disjoint_and_stratified(count, fraction, expected):
    src = open_dataset({"name": "moons", "options": {"count": count}, "val_fraction": fraction, "seed": 5})
    assert len(src.val) == expected and len(src.train) == count - expected
    rows = {tuple(r) for r in np.concatenate([src.train.x, src.val.x]).tolist()}
    assert len(rows) == count  # every sample lands in exactly one half
    if count == 100:
        assert np.bincount(src.val.y).tolist() in ([12, 13], [13, 12])
