"""vision.datasets: ImageFolder/DatasetFolder on a temp tree, MNIST from temp IDX files, FakeData."""

import gzip
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import engine as torch
from engine.utils.data import DataLoader
from engine.vision import datasets, transforms


def _write_png(path, value, size=(6, 4)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path)


@pytest.fixture
def tree(tmp_path):
    _write_png(tmp_path / "dog" / "b.png", 20)
    _write_png(tmp_path / "dog" / "a.png", 10)
    _write_png(tmp_path / "cat" / "x.png", 30)
    _write_png(tmp_path / "cat" / "nested" / "y.png", 40)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    return tmp_path


def test_image_folder(tree):
    ds = datasets.ImageFolder(str(tree))
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    names = [(p.replace(str(tree), ""), t) for p, t in ds.samples]
    # os.walk folders in sorted order (a folder before its sub-folders), files sorted within each
    assert names == [("/cat/x.png", 0), ("/cat/nested/y.png", 0), ("/dog/a.png", 1), ("/dog/b.png", 1)]
    assert ds.targets == [0, 0, 1, 1] and ds.imgs is ds.samples and len(ds) == 4
    img, target = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and target == 1
    assert np.asarray(img)[0, 0, 0] == 10


def test_image_folder_with_transforms_and_loader(tree):
    ds = datasets.ImageFolder(tree, transform=transforms.ToTensor(), target_transform=lambda t: t + 100)
    x, y = ds[0]
    assert x.shape == (3, 4, 6) and y == 100
    batch = next(iter(DataLoader(ds, batch_size=4)))
    assert batch[0].shape == (4, 3, 4, 6) and batch[1].tolist() == [100, 100, 101, 101]
    text = repr(ds)
    assert text.startswith("Dataset ImageFolder\n    Number of datapoints: 4\n    Root location: ")
    assert "    StandardTransform\nTransform: ToTensor()\nTarget transform: " in text


def test_dataset_folder_extensions_and_is_valid_file(tree):
    txt = datasets.DatasetFolder(str(tree), loader=lambda p: Path(p).read_text(), extensions=(".txt",),
                                 allow_empty=True)
    assert [t for _, t in txt.samples] == [0]
    only_a = datasets.ImageFolder(str(tree), is_valid_file=lambda p: p.endswith(("a.png", "x.png")))
    assert len(only_a) == 2
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes dog. Supported "
                                                "extensions are: .txt"):
        datasets.DatasetFolder(str(tree), loader=open, extensions=(".txt",))
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        datasets.DatasetFolder(str(tree), loader=open)


def test_image_folder_without_class_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(str(tmp_path))


def _write_idx(path, array, compress=False):
    codes = {np.dtype(np.uint8): 8, np.dtype(np.int8): 9}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + np.array(array.shape, ">i4").tobytes()
    data = header + array.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


@pytest.fixture
def mnist_root(tmp_path):
    rng = np.random.default_rng(0)
    raw = tmp_path / "MNIST" / "raw"
    _write_idx(raw / "train-images-idx3-ubyte", rng.integers(0, 256, (5, 28, 28), dtype=np.uint8))
    _write_idx(raw / "train-labels-idx1-ubyte", np.array([3, 1, 4, 1, 5], np.uint8))
    _write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8), compress=True)
    _write_idx(raw / "t10k-labels-idx1-ubyte", np.array([9, 2], np.uint8), compress=True)
    return tmp_path


def test_mnist_from_idx_files(mnist_root):
    train = datasets.MNIST(str(mnist_root), train=True)
    assert len(train) == 5 and train.data.shape == (5, 28, 28)
    assert train.data.dtype == torch.uint8 and train.targets.dtype == torch.int64
    assert train.targets.tolist() == [3, 1, 4, 1, 5]
    img, target = train[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and target == 4
    assert np.array_equal(np.asarray(img), train.data[2].numpy())
    test = datasets.MNIST(mnist_root, train=False, transform=transforms.ToTensor())  # from .gz files
    x, y = test[1]
    assert x.shape == (1, 28, 28) and y == 2
    assert train.classes[3] == "3 - three" and train.class_to_idx["9 - nine"] == 9
    assert repr(train).splitlines()[:4] == ["Dataset MNIST", "    Number of datapoints: 5",
                                            f"    Root location: {mnist_root}", "    Split: Train"]


def test_mnist_missing_files_and_download(tmp_path, mnist_root):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True to download it"):
        datasets.MNIST(str(tmp_path / "nowhere"))
    with pytest.raises(RuntimeError, match="Downloading is not available .* train-images-idx3-ubyte, "
                                           "train-labels-idx1-ubyte"):
        datasets.MNIST(str(tmp_path / "nowhere"), download=True)
    assert len(datasets.MNIST(str(mnist_root), download=True)) == 5  # files present: nothing to download


def test_fashion_mnist_reads_its_own_folder(mnist_root):
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.FashionMNIST(str(mnist_root))
    (mnist_root / "MNIST").rename(mnist_root / "FashionMNIST")
    ds = datasets.FashionMNIST(str(mnist_root))
    assert len(ds) == 5 and ds.classes[0] == "T-shirt/top"


def test_fake_data_is_deterministic_per_index():
    ds = datasets.FakeData(size=4, image_size=(3, 8, 6), num_classes=3, transform=transforms.PILToTensor())
    x0, y0 = ds[0]
    assert x0.shape == (3, 8, 6) and x0.dtype == torch.uint8 and 0 <= y0 < 3
    state = torch.get_rng_state()
    assert np.array_equal(ds[0][0].numpy(), x0.numpy()) and ds[0][1] == y0
    assert torch.equal(torch.get_rng_state(), state)  # the global RNG is left alone
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[4]
    assert repr(ds).startswith("Dataset FakeData\n    Number of datapoints: 4\n")
