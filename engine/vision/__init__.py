"""engine.vision: torchvision's transforms, datasets and utils on Pillow.

`import engine.vision as torchvision` runs torchvision code unchanged.
"""

from . import datasets, transforms, utils

__version__ = "0.28.0+engine"

__all__ = ["datasets", "transforms", "utils"]
