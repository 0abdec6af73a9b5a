"""Write assets/datasets/digits_8x8.npz from the copy of the UCI optdigits test set that scikit-learn ships.

    .venv/bin/pip install scikit-learn
    .venv/bin/python tools/make_digits_npz.py [--out assets/datasets/digits_8x8.npz]

The npz holds `images` (uint8, 1797 x 8 x 8, values 0..16) and `labels` (int64, 1797). Only the data file
inside the installed package is read (sklearn/datasets/data/digits.csv.gz: 64 pixel columns and the label).
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "assets" / "datasets" / "digits_8x8.npz"


def sklearn_digits_csv() -> Path:
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise SystemExit("scikit-learn is not installed: pip install scikit-learn")
    return Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"


def read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(path, "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.shape != (1797, 65):
        raise SystemExit(f"{path}: expected 1797 rows of 65 numbers, got {table.shape}")
    return table[:, :64].reshape(-1, 8, 8).astype(np.uint8), table[:, 64].astype(np.int64)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    images, labels = read_digits(sklearn_digits_csv())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=labels)
    print(f"wrote {args.out}: {len(labels)} images, {args.out.stat().st_size / 1e3:.1f} kB")


if __name__ == "__main__":
    main()
