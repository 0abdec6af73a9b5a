"""vision.utils.make_grid / save_image: torchvision's layout."""

import numpy as np
import pytest
from PIL import Image

import engine as torch
from engine.vision.utils import make_grid, save_image


def test_grid_layout_and_padding():
    imgs = torch.stack([torch.full((3, 4, 5), float(i + 1)) for i in range(5)])
    grid = make_grid(imgs, nrow=2, padding=2, pad_value=0.5)
    # 2 columns x 3 rows of (4+2) x (5+2) cells plus one leading padding row/column
    assert grid.shape == (3, 3 * 6 + 2, 2 * 7 + 2)
    g = grid.numpy()
    assert (g[:, 2:6, 2:7] == 1).all() and (g[:, 2:6, 9:14] == 2).all() and (g[:, 8:12, 2:7] == 3).all()
    assert (g[:, 14:18, 9:14] == 0.5).all()  # the empty sixth cell keeps pad_value
    assert (g[:, :2] == 0.5).all() and (g[:, :, :2] == 0.5).all()


def test_single_image_and_single_channel():
    one = make_grid(torch.rand(1, 3, 4, 4))
    assert one.shape == (3, 4, 4)  # a batch of one is returned without padding
    gray = make_grid(torch.rand(2, 1, 4, 4), padding=0)
    assert gray.shape == (3, 4, 8) and np.allclose(gray.numpy()[0], gray.numpy()[2])
    assert make_grid(torch.rand(4, 4)).shape == (3, 4, 4)
    assert make_grid([torch.rand(3, 2, 2), torch.rand(3, 2, 2)], padding=1).shape == (3, 4, 7)


def test_normalize_and_scale_each():
    x = torch.stack([torch.linspace(-1, 1, 4).reshape(1, 2, 2), torch.linspace(0, 10, 4).reshape(1, 2, 2)])
    g = make_grid(x, normalize=True, padding=0).numpy()
    assert g.min() == 0.0 and g.max() == 1.0
    each = make_grid(x, normalize=True, scale_each=True, padding=0).numpy()
    assert each[0, :, :2].min() == 0 and each[0, :, :2].max() == 1 and each[0, :, 2:].max() == 1
    clipped = make_grid(x, normalize=True, value_range=(0, 1), padding=0).numpy()
    assert clipped.min() == 0.0 and clipped.max() == 1.0
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        make_grid(x, normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected, got <class 'list'>|a list "
                                        "containing"):
        make_grid([1, 2])


def test_save_image(tmp_path):
    x = torch.zeros(2, 3, 4, 4)
    x[1] = 1.0
    path = tmp_path / "grid.png"
    save_image(x, str(path), nrow=2, padding=1)
    a = np.asarray(Image.open(path))
    assert a.shape == (6, 11, 3) and a.dtype == np.uint8
    assert (a[1:5, 6:10] == 255).all() and (a[1:5, 1:5] == 0).all()
    save_image(torch.full((1, 2, 2), 0.5), tmp_path / "gray.png")
    assert np.asarray(Image.open(tmp_path / "gray.png"))[0, 0, 0] == 128  # 0.5 * 255 + 0.5 -> 128
