"""Datasets from the user's files (image folder, CSV, npy/npz, IDX), each written into tmp_path, and every
error a user can meet, with the path, row or column its message names."""

import gzip

import numpy as np
import pytest
from PIL import Image

import engine
from studio.training.datasets import DatasetError, open_dataset


def _image_folder(root, classes=("cat", "dog"), per_class=3):
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.full((10, 12, 3), 40 * c + i, dtype=np.uint8)
            pixels[..., 0] = 200 if c else 10
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    return root


def test_imagefolder_rgb_and_grayscale(tmp_path):
    root = _image_folder(tmp_path / "pets")
    src = open_dataset({"name": "imagefolder", "options": {"path": str(root), "size": 8},
                        "val_fraction": 0.34})
    assert src.class_names == ["cat", "dog"] and src.input_shape == (3, 8, 8) and src.kind == "images"
    assert len(src.train) == 4 and len(src.val) == 2 and sorted(src.val.y.tolist()) == [0, 1]
    x, y = src.train[0]
    assert x.dtype == engine.float32 and y.dtype == engine.int64
    red = x.numpy()[0, 0, 0]
    assert red == pytest.approx((200 if int(y) else 10) / 255, abs=1e-6)
    gray = open_dataset({"name": "imagefolder", "options": {"path": str(root), "size": 5, "grayscale": True}})
    assert gray.input_shape == (1, 5, 5)
    p = gray.preview()
    assert p["samples"][0].shape == (5, 5) and p["class_counts"] == {"cat": 3, "dog": 3}
    assert src.preview()["samples"][0].shape == (8, 8, 3)


def test_imagefolder_errors(tmp_path):
    def fails(path, message, **options):
        with pytest.raises(DatasetError, match=message):
            open_dataset({"name": "imagefolder", "options": {"path": str(path), **options}})

    fails(tmp_path / "missing", "the folder .*missing does not exist")
    (tmp_path / "empty").mkdir()
    fails(tmp_path / "empty", "has no class folders")
    (tmp_path / "empty" / "cat").mkdir()
    fails(tmp_path / "empty", "the class folder .*cat holds no images")
    root = _image_folder(tmp_path / "pets")
    (root / "dog" / "broken.png").write_bytes(b"not a png")
    fails(root, f"cannot read the image {root / 'dog' / 'broken.png'}")
    fails(root, "option 'grayscale' .* true or false", grayscale="yes")


def test_csv_features_and_string_labels(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("sepal,species,petal\n1.0,setosa,0.5\n2,virginica,1.5\n3.5,setosa,-1\n\n4,versicolor,2\n")
    src = open_dataset({"name": "csv", "options": {"path": str(path), "label_column": "species"}})
    assert src.class_names == ["setosa", "versicolor", "virginica"] and src.input_shape == (2,)
    x, y = np.concatenate([src.train.x, src.val.x]), np.concatenate([src.train.y, src.val.y])
    order = np.argsort(x[:, 0])
    assert x[order].tolist() == [[1.0, 0.5], [2.0, 1.5], [3.5, -1.0], [4.0, 2.0]]
    assert y[order].tolist() == [0, 2, 0, 1] and x.dtype == np.float32
    assert src.preview()["kind"] == "rows"


def test_csv_numeric_labels_pick_the_task(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,label\n" + "".join(f"{i},{i * 2},{i % 3}\n" for i in range(9)))
    src = open_dataset({"name": "csv", "options": {"path": str(path)}})  # label: the last column
    assert src.task == "classification" and src.class_names == ["0", "1", "2"]
    path.write_text("a,y\n" + "".join(f"{i},{i / 4}\n" for i in range(9)))
    reg = open_dataset({"name": "csv", "options": {"path": str(path)}})
    assert reg.task == "regression" and reg.target_shape == (1,) and reg.train.y.dtype == np.float32
    forced = open_dataset({"name": "csv", "options": {"path": str(path), "task": "regression"}})
    assert forced.task == "regression"


@pytest.mark.parametrize("text, options, message", [
    ("a,b\n1,x\n2,y\n", {"label_column": "c"}, "has no column 'c' \\(its columns: a, b\\)"),
    ("a,b\n1,x\n2,oops,3\n", {}, "row 3: 3 values, but the header names 2"),
    ("a,b,c\n1,2,x\n2,seven,y\n", {"label_column": "c"}, "row 3, column 'b': 'seven' is not a number"),
    ("a,b\n1,x\n2,y\n", {"task": "regression"}, "row 2, column 'b': 'x' is not a number"),
    ("a,b\n", {}, "needs a header row and at least one data row"),
    ("b\n1\n2\n", {}, "needs at least one feature column"),
])
def test_csv_errors(tmp_path, text, options, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DatasetError, match=message):
        open_dataset({"name": "csv", "options": {"path": str(path), **options}})


def test_npz_and_npy(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x=rng.integers(0, 256, (10, 6, 6), dtype=np.uint8), y=np.arange(10) % 2)
    src = open_dataset({"name": "npy", "options": {"path": str(tmp_path / "d.npz")}})
    assert src.input_shape == (1, 6, 6) and src.kind == "images" and src.num_classes == 2
    assert src.train.arrays()[0].max() <= 1.0 and src.train[0][0].dtype == engine.float32
    np.save(tmp_path / "x.npy", rng.normal(size=(8, 3)))
    np.save(tmp_path / "y.npy", rng.normal(size=8))
    files = {"x": str(tmp_path / "x.npy"), "y": str(tmp_path / "y.npy")}
    reg = open_dataset({"name": "npy", "options": files})
    assert reg.task == "regression" and reg.input_shape == (3,) and reg.target_shape == (1,)
    assert reg.train.x.dtype == np.float32 and reg.train.y.dtype == np.float32


def test_npy_errors(tmp_path):
    def fails(message, **options):
        with pytest.raises(DatasetError, match=message):
            open_dataset({"name": "npy", "options": options})

    np.savez(tmp_path / "short.npz", x=np.zeros((5, 2)), y=np.zeros(4, dtype=np.int64))
    fails("x holds 5 samples but y holds 4", path=str(tmp_path / "short.npz"))
    np.savez(tmp_path / "keys.npz", a=np.zeros(3))
    fails("must hold the arrays 'x' and 'y' \\(it has: a\\)", path=str(tmp_path / "keys.npz"))
    fails("does not exist", path=str(tmp_path / "nothing.npz"))
    fails("needs option 'path'", x=str(tmp_path / "x.npy"))
    (tmp_path / "junk.npz").write_bytes(b"junk")
    fails("cannot read the arrays", path=str(tmp_path / "junk.npz"))


def _idx(path, array, type_code=8):
    header = bytes([0, 0, type_code, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return str(path)


def test_idx_images_and_labels(tmp_path):
    images = np.arange(6 * 4 * 4, dtype=np.uint8).reshape(6, 4, 4)
    labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)
    src = open_dataset({"name": "idx", "options": {"images": _idx(tmp_path / "img.idx3.gz", images),
                                                   "labels": _idx(tmp_path / "lab.idx1", labels)}})
    assert src.input_shape == (1, 4, 4) and src.num_classes == 3 and src.kind == "images"
    x, y = src.train[0]
    pixels = np.round(x.numpy() * 255).astype(np.uint8)
    index = int(np.flatnonzero((images == pixels[0]).all(axis=(1, 2)))[0])
    assert int(y) == labels[index]


def test_idx_errors(tmp_path):
    images = _idx(tmp_path / "img", np.zeros((3, 2, 2), dtype=np.uint8))
    labels = _idx(tmp_path / "lab", np.zeros(3, dtype=np.uint8))

    def fails(message, images=images, labels=labels):
        with pytest.raises(DatasetError, match=message):
            open_dataset({"name": "idx", "options": {"images": images, "labels": labels}})

    (tmp_path / "magic").write_bytes(b"\x01\x02\x08\x01abcd")
    fails("magic is not an IDX file \\(wrong magic number", images=str(tmp_path / "magic"))
    (tmp_path / "trunc").write_bytes((tmp_path / "img").read_bytes()[:-3])
    fails("trunc is truncated: the header promises shape \\(3, 2, 2\\)", images=str(tmp_path / "trunc"))
    (tmp_path / "head").write_bytes(b"\x00\x00\x08\x03\x00\x00")
    fails("head is truncated: its header ends early", images=str(tmp_path / "head"))
    fails("holds 3 images but .* 4 labels", labels=_idx(tmp_path / "lab4", np.zeros(4, dtype=np.uint8)))
    fails("expected images N x H x W", images=labels)
    fails("does not exist", labels=str(tmp_path / "nope"))
