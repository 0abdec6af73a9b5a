"""Train a small CNN on the synthetic shapes dataset with the engine, written as ordinary PyTorch code.

    .venv/bin/python examples/train_cnn.py                 # bundled assets/datasets/shapes_small.npz
    .venv/bin/python examples/train_cnn.py --regenerate    # regenerate the images from the seed first
    .venv/bin/python examples/train_cnn.py --epochs 3 --save /tmp/shapes_cnn.pt

Prints the loss and accuracy per epoch, then the held-out test accuracy and the wall time, and saves the
weights with torch.save (load them back with model.load_state_dict(torch.load(path))).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import engine as torch
import engine.nn as nn
from engine.utils.data import DataLoader

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes_dataset import BUNDLED, CLASSES, ShapesDataset, generate_shapes, load_bundled  # noqa: E402


class ShapesCNN(nn.Module):
    def __init__(self, num_classes: int = len(CLASSES)) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),   # 8 x 28 x 28
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),                             # 8 x 14 x 14
            nn.Conv2d(8, 16, kernel_size=3, padding=1),  # 16 x 14 x 14
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),                             # 16 x 7 x 7
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: nn.Module) -> tuple[float, float]:
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    with torch.no_grad():
        for images, labels in loader:
            logits = model(images)
            total_loss += loss_fn(logits, labels).item() * labels.size(0)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            seen += labels.size(0)
    return total_loss / seen, correct / seen


def train(epochs: int = 5, batch_size: int = 32, lr: float = 3e-3, test_fraction: float = 0.2,
          train_limit: int | None = None, regenerate: bool = False, seed: int = 0,
          save_path: str | None = None, log=print) -> dict:
    """Train on the shapes data; returns {'test_accuracy', 'test_loss', 'seconds', 'history'}."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    images, labels = generate_shapes(2000, seed) if regenerate else load_bundled(BUNDLED)
    n_test = int(len(labels) * test_fraction)
    train_set = ShapesDataset(images[n_test:][:train_limit], labels[n_test:][:train_limit])
    test_set = ShapesDataset(images[:n_test], labels[:n_test])
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    test_loader = DataLoader(test_set, batch_size=256)

    model = ShapesCNN()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        total_loss, correct, seen = 0.0, 0, 0
        for images_b, labels_b in train_loader:
            optimizer.zero_grad()
            logits = model(images_b)
            loss = loss_fn(logits, labels_b)
            loss.backward()
            optimizer.step()
            total_loss += loss.item() * labels_b.size(0)
            correct += (logits.argmax(dim=1) == labels_b).sum().item()
            seen += labels_b.size(0)
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        history.append({"epoch": epoch, "train_loss": total_loss / seen, "train_accuracy": correct / seen,
                        "test_loss": test_loss, "test_accuracy": test_acc})
        log(f"epoch {epoch}/{epochs}  train loss {total_loss / seen:.4f}  train acc {correct / seen:.2%}  "
            f"test loss {test_loss:.4f}  test acc {test_acc:.2%}  ({time.perf_counter() - start:.1f}s)")

    if save_path:
        torch.save(model.state_dict(), save_path)
        log(f"saved weights to {save_path}")
    seconds = time.perf_counter() - start
    return {"test_accuracy": history[-1]["test_accuracy"], "test_loss": history[-1]["test_loss"],
            "seconds": seconds, "history": history, "model": model}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--regenerate", action="store_true", help="regenerate the images instead of loading")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default="shapes_cnn.pt", help="where to save the weights ('' to skip)")
    args = parser.parse_args()
    result = train(args.epochs, args.batch_size, args.lr, regenerate=args.regenerate, seed=args.seed,
                   save_path=args.save or None)
    print(f"final test accuracy: {result['test_accuracy']:.2%}  wall time: {result['seconds']:.1f}s")


if __name__ == "__main__":
    main()
