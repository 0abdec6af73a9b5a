"""engine.vision.datasets: torchvision.datasets' local-file datasets."""

from .fakedata import FakeData
from .folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder, default_loader, pil_loader
from .mnist import KMNIST, MNIST, FashionMNIST
from .vision import StandardTransform, VisionDataset

__all__ = ["IMG_EXTENSIONS", "KMNIST", "MNIST", "DatasetFolder", "FakeData", "FashionMNIST", "ImageFolder",
           "StandardTransform", "VisionDataset", "default_loader", "pil_loader"]
