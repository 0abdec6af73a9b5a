"""Metrics accumulate over batches to the value over the whole set."""

import numpy as np
import pytest

import engine
from studio.training.metrics import applies, lower_is_better, make_metric, make_metrics


def test_accuracy_over_two_batches_is_the_accuracy_over_all_samples():
    acc = make_metric("accuracy")
    acc.update(engine.tensor([[2.0, 1.0], [0.0, 1.0], [3.0, 0.0]]), engine.tensor([0, 0, 0]))  # 2 of 3
    acc.update(engine.tensor([[0.0, 5.0]]), engine.tensor([1]))  # 1 of 1
    assert acc.value() == pytest.approx(3 / 4)
    acc.reset()
    assert acc.value() is None


def test_top_k_counts_a_hit_among_the_k_best_scores():
    scores = engine.tensor([[0.5, 0.3, 0.2, 0.0], [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    target = engine.tensor([1, 0, 3])
    expected = {"accuracy": 0.0, "top2": 1 / 3, "top3": 1 / 3, "top4": 1.0, "top9": 1.0}
    for name, value in expected.items():
        metric = make_metric(name)
        metric.update(scores, target)
        assert metric.value() == pytest.approx(value), name


def test_accuracy_of_sequences_uses_the_class_dimension_one():
    scores = np.zeros((2, 3, 4), dtype=np.float32)  # N x C x T, as CrossEntropy takes them
    scores[:, 1, :] = 1.0
    target = np.array([[1, 1, 0, 1], [2, 1, 1, 1]])
    acc = make_metric("accuracy")
    acc.update(engine.tensor(scores), engine.tensor(target))
    assert acc.value() == pytest.approx(6 / 8)


def test_mse_and_mae_average_over_every_element():
    pred, target = engine.tensor([[1.0, 2.0], [3.0, 4.0]]), engine.tensor([[1.0, 0.0], [0.0, 4.0]])
    mse, mae = make_metric("mse"), make_metric("MAE")
    for metric in (mse, mae):
        metric.update(pred, target)
        metric.update(engine.tensor([[1.0, 1.0]]), engine.tensor([[1.0, 3.0]]))
    assert mse.value() == pytest.approx((4 + 9 + 4) / 6)
    assert mae.value() == pytest.approx((2 + 3 + 2) / 6)
    assert mae.name == "MAE"


def test_metrics_do_not_track_gradients():
    pred = engine.tensor([[1.0, 2.0]], requires_grad=True)
    metric = make_metric("mse")
    metric.update(pred * 2, engine.tensor([[0.0, 0.0]]))
    assert isinstance(metric.total, float)


def test_unknown_names_and_the_task_filter():
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        make_metric("f1")
    with pytest.raises(ValueError):
        make_metric("top0")
    assert applies("accuracy", "classification") and applies("top5", "sequence")
    assert not applies("accuracy", "regression") and applies("mse", "regression")
    chosen = make_metrics(["accuracy", "mse"], "regression")
    assert [m.name for m in chosen.metrics] == ["mse"] and chosen.skipped == ["accuracy"]


def test_a_metric_that_cannot_read_the_shapes_is_dropped_not_fatal():
    chosen = make_metrics(["accuracy", "mse"])
    chosen.update(engine.tensor([[0.2, 0.8]]), engine.tensor([1]))  # mse: shapes differ
    assert [m.name for m in chosen.metrics] == ["accuracy"]
    assert chosen.values() == {"accuracy": 1.0}
    assert chosen.values("train_") == {"train_accuracy": 1.0}
    assert chosen.problems and chosen.problems[0].startswith("metric mse left out")


def test_the_direction_of_monitored_values():
    assert lower_is_better("val_loss") and lower_is_better("train_loss") and lower_is_better("mae")
    assert not lower_is_better("accuracy") and not lower_is_better("val_top5")
