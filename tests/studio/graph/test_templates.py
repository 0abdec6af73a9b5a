"""The shipped templates: each loads, infers without errors, compiles, takes a few finite training steps,
and is exactly what tools/make_templates.py generates (so the files never drift from the generator)."""

import dataclasses
import importlib.util
import math
import pathlib

import pytest

from studio.graph.compile import compile_graph
from studio.graph.inference import Inference
from studio.templates import UnknownTemplateError, list_templates, load_template, template_path, templates_dir
from studio.training.trainer import Trainer

ROOT = pathlib.Path(__file__).resolve().parents[3]
NAMES = ["char_gru", "lenet5", "mlp", "resnet_small", "sagan_discriminator", "transformer_classifier",
         "unet_small"]


def _generator():
    spec = importlib.util.spec_from_file_location("make_templates", ROOT / "tools" / "make_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_list_templates_names_titles_descriptions():
    infos = list_templates()
    assert [t.name for t in infos] == NAMES
    for info in infos:
        assert info.title and info.title != info.name
        assert len(info.description) > 40
        assert info.path.parent == templates_dir()


def test_unknown_template_lists_the_available_ones():
    with pytest.raises(UnknownTemplateError) as caught:
        load_template("lenet6")
    assert "'lenet6'" in caught.value.message
    assert "lenet5" in caught.value.message and "char_gru" in caught.value.message
    with pytest.raises(UnknownTemplateError):
        template_path("../templates/lenet5")


def test_loaded_template_has_no_path_so_saving_never_overwrites_the_shipped_file():
    project = load_template("lenet5.msproj")
    assert project.path is None
    with pytest.raises(ValueError):
        project.save()


@pytest.mark.parametrize("name", NAMES)
def test_template_matches_generator(name):
    generated = _generator().template_text(name)
    assert template_path(name).read_text(encoding="utf-8") == generated, \
        f"{name}.msproj differs from tools/make_templates.py: run .venv/bin/python tools/make_templates.py"


def _three_batches(project):
    """The template's dataset cut down to 3 training batches (and one validation batch)."""
    from studio.training.datasets import open_dataset
    from studio.training.datasets.base import ArrayDataset

    source = open_dataset(project.settings["dataset"])
    n = 3 * project.settings["batch_size"]
    train, val = source.train, source.val
    return dataclasses.replace(source, train=ArrayDataset(train.x[:n], train.y[:n], train.x_scale),
                               val=ArrayDataset(val.x[:n // 3], val.y[:n // 3], val.x_scale))


@pytest.mark.parametrize("name", NAMES)
def test_template_infers_compiles_and_trains_a_few_steps(name):
    project = load_template(name)
    totals = Inference(project.graph, attach=False).totals()
    assert totals.errors == 0 and totals.unknown == 0
    assert totals.params > 0
    assert compile_graph(project.graph).output_names == ["output"]

    steps = []
    callbacks = type("Steps", (), {"on_batch": lambda self, info: steps.append(info.loss)})()
    result = Trainer(project, callbacks=callbacks, data=_three_batches(project)).run(epochs=1)
    assert result.status == "finished", result.message
    assert len(steps) == 3 and all(math.isfinite(v) for v in steps), steps
    assert math.isfinite(result.history[0].val_loss)
