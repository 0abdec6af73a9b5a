"""SetSettings: a training-settings edit is one undo step that restores the previous values exactly, and a
value the project's checks refuse changes nothing and names the problem."""

from __future__ import annotations

import pytest

from studio.graph.commands import SetSettings, UndoStack
from studio.graph.errors import GraphError
from studio.graph.project import Project


@pytest.fixture
def project() -> Project:
    return Project(created="t")


def test_redo_applies_and_undo_restores_the_exact_previous_settings(project):
    stack = UndoStack(project.graph)
    before = project.to_json()
    spec = {"name": "shapes", "options": {"count": 64}, "val_fraction": 0.25, "seed": 3}
    stack.push(SetSettings({"epochs": 3, "optimizer_options": {"lr": 0.05, "momentum": 0.9},
                            "dataset": spec}, project))
    assert project.settings["epochs"] == 3
    assert project.settings["optimizer_options"] == {"lr": 0.05, "momentum": 0.9}
    assert project.settings["dataset"] == spec
    after = project.to_json()
    assert stack.undo_text == "Set 3 training settings"
    stack.undo()
    assert project.to_json() == before
    assert project.settings["optimizer_options"] == {"lr": 0.001}
    stack.redo()
    assert project.to_json() == after


def test_the_command_keeps_its_own_copy_of_the_values(project):
    options = {"lr": 0.1}
    stack = UndoStack(project.graph)
    stack.push(SetSettings({"optimizer_options": options}, project))
    options["lr"] = 99.0  # the caller's dict changing later must not reach the project
    assert project.settings["optimizer_options"] == {"lr": 0.1}
    project.settings["optimizer_options"]["lr"] = 0.5  # nor the project's edits the undo record
    stack.undo()
    stack.redo()
    assert project.settings["optimizer_options"] == {"lr": 0.1}


@pytest.mark.parametrize(("changes", "reason"), [
    ({"epochs": 0}, "epochs must be a whole number of at least 1"),
    ({"batch_size": "64"}, "batch_size must be a whole number"),
    ({"metrics": "accuracy"}, "metrics must be a list of names"),
    ({"dataset": {"name": "nope"}}, "dataset name must be one of"),
    ({"learning_rate": 0.1}, "unknown setting 'learning_rate'"),
])
def test_a_bad_value_is_refused_with_the_checks_message_and_changes_nothing(project, changes, reason):
    stack = UndoStack(project.graph)
    before = project.to_json()
    with pytest.raises(GraphError, match=reason):
        stack.push(SetSettings({"seed": 7, **changes}, project))
    assert project.to_json() == before  # the good value beside the bad one was not applied either
    assert len(stack) == 0


def test_one_key_names_itself_and_a_command_refuses_another_projects_graph(project):
    command = SetSettings({"batch_size": 8}, project)
    assert command.text == "Set batch_size"
    with pytest.raises(GraphError, match="another project"):
        command.do(Project().graph)
    assert project.settings["batch_size"] == 64
