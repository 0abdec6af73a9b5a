"""Undoable edits, Qt-free: each Command changes the graph in do() and puts it back in undo(); the
UndoStack runs them (the GUI wraps it for menus and shortcuts). A do() that raises a GraphError leaves the
graph as it was, and the stack pushes nothing.

Structural commands (remove, paste, group, ungroup) undo by restoring a snapshot of the graph taken in
do(): node order, link order (it matters for variadic inputs) and block definitions come back exactly,
so undoing everything restores the saved JSON byte for byte.

SetSettings edits the project's training settings rather than the graph: it is bound to its Project when
made and goes through the same stacks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .blocks import BLOCK_TYPE, blocks_from_dict, blocks_to_dict, group_into_block, install_blocks, ungroup
from .errors import GraphError
from .events import Signal
from .model import Graph, Link, Node
from .project import Project, validate_settings
from .serialize import graph_from_dict, graph_to_dict


class Snapshot:
    """The graph's nodes (the objects themselves), links and block definitions at one moment."""

    def __init__(self, graph: Graph) -> None:
        self.nodes = list(graph.nodes.values())
        self.links = list(graph.links)
        self.blocks = dict(graph.blocks)

    def restore(self, graph: Graph) -> None:
        keep = set(self.links)
        for link in [l for l in graph.links if l not in keep]:
            graph.disconnect(link)
        wanted = {node.id: node for node in self.nodes}
        for node_id in [n for n, node in graph.nodes.items() if wanted.get(n) is not node]:
            graph.remove_node(node_id)
        graph.blocks.clear()  # in place: inner graphs share this dict
        graph.blocks.update(self.blocks)
        for node in self.nodes:
            if node.id not in graph.nodes:
                graph.insert_node(node)
        graph.nodes.clear()
        graph.nodes.update(wanted)
        present = set(graph.links)
        graph.links[:] = self.links
        for link in self.links:
            if link not in present:
                graph.link_added.emit(link)


class Command:
    """One undoable edit. `text` names it in the Edit menu ("Undo Add Conv2d")."""

    text = ""

    def do(self, graph: Graph) -> None:
        raise NotImplementedError

    def undo(self, graph: Graph) -> None:
        raise NotImplementedError

    def merge_with(self, other: Command) -> bool:
        """Absorb `other` (just done) into this command, so both undo as one step; False to refuse."""
        return False


class _SnapshotCommand(Command):
    """do() runs `apply`; any GraphError rolls the graph back; undo() restores the snapshot."""

    def do(self, graph: Graph) -> None:
        self._before = Snapshot(graph)
        try:
            self.apply(graph)
        except GraphError:
            self._before.restore(graph)
            raise

    def apply(self, graph: Graph) -> None:
        raise NotImplementedError

    def undo(self, graph: Graph) -> None:
        self._before.restore(graph)


class AddNode(Command):
    def __init__(self, layer_type: str, params: Mapping[str, Any] | None = None, *,
                 position: tuple[float, float] = (0.0, 0.0), label: str = "",
                 node_id: str | None = None) -> None:
        self.layer_type, self.params = layer_type, dict(params or {})
        self.position, self.label, self.node_id = position, label, node_id
        self.text = f"Add {layer_type}"

    def do(self, graph: Graph) -> None:
        node = graph.add_node(self.layer_type, self.params, position=self.position, label=self.label,
                              node_id=self.node_id)
        self.node_id = node.id  # redo reuses it, so later commands still find the node

    def undo(self, graph: Graph) -> None:
        assert self.node_id is not None
        graph.remove_node(self.node_id)


class RemoveNodes(_SnapshotCommand):
    """Remove nodes with their links; undo puts both back in their original places."""

    def __init__(self, node_ids: Iterable[str]) -> None:
        self.node_ids = list(dict.fromkeys(node_ids))
        count = len(self.node_ids)
        self.text = f"Remove {self.node_ids[0]}" if count == 1 else f"Remove {count} nodes"

    def apply(self, graph: Graph) -> None:
        for node_id in self.node_ids:
            graph.remove_node(node_id)


class RemoveNode(RemoveNodes):
    def __init__(self, node_id: str) -> None:
        super().__init__([node_id])


class Connect(Command):
    def __init__(self, src: str, src_port: str, dst: str, dst_port: str) -> None:
        self.link = Link(src, src_port, dst, dst_port)
        self.text = f"Connect {src} → {dst}"

    def do(self, graph: Graph) -> None:
        graph.connect(*_fields(self.link))

    def undo(self, graph: Graph) -> None:
        graph.disconnect(self.link)


class Disconnect(Command):
    def __init__(self, link: Link) -> None:
        self.link = link
        self.index = -1
        self.text = f"Disconnect {link.src} → {link.dst}"

    def do(self, graph: Graph) -> None:
        self.index = graph.disconnect(self.link)

    def undo(self, graph: Graph) -> None:
        # The link existed a moment ago in this very state: put it back without re-running the checks.
        graph.links.insert(self.index, self.link)
        graph.link_added.emit(self.link)


def _fields(link: Link) -> tuple[str, str, str, str]:
    return link.src, link.src_port, link.dst, link.dst_port


class SetParam(Command):
    def __init__(self, node_id: str, name: str, value: Any) -> None:
        self.node_id, self.name, self.value = node_id, name, value
        self.text = f"Set {name} of {node_id}"

    def do(self, graph: Graph) -> None:
        node = graph.node(self.node_id)
        if node.type == BLOCK_TYPE:
            _check_block_edit(graph, node, self.name, node.spec.param(self.name).validate(self.value))
        self.old = graph.set_param(self.node_id, self.name, self.value)

    def undo(self, graph: Graph) -> None:
        graph.set_param(self.node_id, self.name, self.old)


def _check_block_edit(graph: Graph, node: Node, name: str, value: Any) -> None:
    """A Block node may switch definition only to one with the ports its links use; repeat needs a
    definition whose outputs can feed its inputs."""
    block_name = value if name == "block" else node.params["block"]
    block = graph.blocks.get(block_name)
    if block is None:
        raise GraphError(f"there is no block named {block_name!r}", node_id=node.id)
    if name == "block":
        inputs, outputs = {p.name for p in block.inputs}, {p.name for p in block.outputs}
        for link in graph.links:
            if (link.dst == node.id and link.dst_port not in inputs) or (
                    link.src == node.id and link.src_port not in outputs):
                raise GraphError(f"block {block_name!r} has no port for {link}", node_id=node.id)
    repeat = value if name == "repeat" else node.params["repeat"]
    if repeat > 1 and not block.repeatable:
        raise GraphError(f"Block {block_name!r} can repeat only if its outputs match its inputs",
                         node_id=node.id)


class SetLabel(Command):
    def __init__(self, node_id: str, label: str) -> None:
        self.node_id, self.label = node_id, label
        self.text = f"Rename {node_id}"

    def do(self, graph: Graph) -> None:
        self.old = graph.set_label(self.node_id, self.label)

    def undo(self, graph: Graph) -> None:
        graph.set_label(self.node_id, self.old)


class MoveNodes(Command):
    """Move nodes; `old` gives their positions before a drag that already moved them live."""

    def __init__(self, positions: Mapping[str, tuple[float, float]],
                 old: Mapping[str, tuple[float, float]] | None = None) -> None:
        self.positions = {k: (float(x), float(y)) for k, (x, y) in positions.items()}
        self.old = dict(old) if old is not None else None
        names = list(self.positions)
        self.text = f"Move {names[0]}" if len(names) == 1 else f"Move {len(names)} nodes"

    def do(self, graph: Graph) -> None:
        for node_id in self.positions:
            graph.node(node_id)  # refuse before moving anything
        before = {node_id: graph.move_node(node_id, pos) for node_id, pos in self.positions.items()}
        if self.old is None:
            self.old = before

    def undo(self, graph: Graph) -> None:
        assert self.old is not None
        for node_id, pos in self.old.items():
            graph.move_node(node_id, pos)

    def merge_with(self, other: Command) -> bool:
        if not isinstance(other, MoveNodes) or set(other.positions) != set(self.positions):
            return False
        self.positions = dict(other.positions)
        return True


class MacroCommand(Command):
    """Several commands as one undo step; if one fails, the ones already done are undone."""

    def __init__(self, text: str, commands: Iterable[Command]) -> None:
        self.text, self.commands = text, list(commands)

    def do(self, graph: Graph) -> None:
        done: list[Command] = []
        try:
            for command in self.commands:
                command.do(graph)
                done.append(command)
        except GraphError:
            for command in reversed(done):
                command.undo(graph)
            raise

    def undo(self, graph: Graph) -> None:
        for command in reversed(self.commands):
            command.undo(graph)


# -------------------------------------------------------------------------------- settings ---
_ABSENT = object()


class SetSettings(Command):
    """Change training settings (top-level keys of `project.settings`) as one undo step.

    Settings live on the Project, not the Graph the executors hand to do(), so the command is bound to its
    project when made; do() refuses to run against another project's graph. The settings as they would
    become are checked by the project's own checks first: a bad value raises their ProjectFormatError (a
    GraphError) and nothing changes. undo() puts back the previous values exactly (absent keys stay absent).
    """

    def __init__(self, changes: Mapping[str, Any], project: Project) -> None:
        if not changes:
            raise ValueError("SetSettings needs at least one setting to change")
        self.changes = {key: _plain_copy(value) for key, value in changes.items()}
        self.project = project
        self.old: dict[str, Any] = {}
        keys = list(self.changes)
        self.text = f"Set {keys[0]}" if len(keys) == 1 else f"Set {len(keys)} training settings"

    def do(self, graph: Graph) -> None:
        if graph is not self.project.graph:
            raise GraphError("these settings belong to another project")
        settings = self.project.settings
        checked = validate_settings({**settings, **self.changes})  # raises before anything changes
        self.old = {key: _plain_copy(settings.get(key, _ABSENT)) for key in self.changes}
        for key in self.changes:
            settings[key] = checked[key]

    def undo(self, graph: Graph) -> None:
        settings = self.project.settings
        for key, value in self.old.items():
            if value is _ABSENT:
                settings.pop(key, None)
            else:
                settings[key] = _plain_copy(value)


def _plain_copy(value: Any) -> Any:
    """A copy of JSON-like data (dicts and lists copied all the way down), so later edits of either side
    never reach the other."""
    if isinstance(value, dict):
        return {k: _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


# ------------------------------------------------------------------------------ copy / paste ---
def copy_selection(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """The clipboard form (plain JSON data) of some nodes, the links among them and the blocks they use."""
    wanted = set(node_ids)
    part = Graph(blocks=graph.blocks)
    for node_id in [n for n in graph.nodes if n in wanted]:
        part.nodes[node_id] = graph.nodes[node_id]
    part.links = [l for l in graph.links if l.src in wanted and l.dst in wanted]
    return {**graph_to_dict(part), "blocks": blocks_to_dict(part)}


class Paste(_SnapshotCommand):
    """Add a copied selection with new ids, its internal links, and positions shifted by `offset`."""

    def __init__(self, clipboard: Mapping[str, Any], offset: tuple[float, float] = (20.0, 20.0)) -> None:
        self.clipboard, self.offset = clipboard, offset
        self.new_ids: dict[str, str] = {}
        count = len(clipboard.get("nodes", []))
        self.text = "Paste 1 node" if count == 1 else f"Paste {count} nodes"

    def apply(self, graph: Graph) -> None:
        clip = self.clipboard
        definitions = clip.get("blocks", {})
        source = graph_from_dict({"nodes": clip.get("nodes", []), "links": clip.get("links", [])},
                                 "clipboard", blocks_from_dict(definitions, "clipboard.blocks"))
        renames = install_blocks(graph, definitions)
        for node in source:
            params = dict(node.params)
            stem = node.type
            if node.type == BLOCK_TYPE:
                stem = params["block"]
                params["block"] = renames.get(stem, stem)
            new_id = self.new_ids.get(node.id) or graph.new_id(stem)
            self.new_ids[node.id] = new_id
            graph.add_node(node.type, params, label=node.label, node_id=new_id,
                           position=(node.position[0] + self.offset[0], node.position[1] + self.offset[1]))
        for link in source.links:
            graph.connect(self.new_ids[link.src], link.src_port, self.new_ids[link.dst], link.dst_port)

    @property
    def pasted_ids(self) -> list[str]:
        return list(self.new_ids.values())


# ---------------------------------------------------------------------------------- blocks ---
class GroupIntoBlock(_SnapshotCommand):
    def __init__(self, node_ids: Iterable[str], name: str) -> None:
        self.node_ids, self.name = list(node_ids), name
        self.node_id: str | None = None
        self.text = f"Group into block {name}"

    def apply(self, graph: Graph) -> None:
        _, node = group_into_block(graph, self.node_ids, self.name, node_id=self.node_id)
        self.node_id = node.id


class Ungroup(_SnapshotCommand):
    def __init__(self, node_id: str) -> None:
        self.node_id = node_id
        self.node_ids: list[str] = []
        self.text = f"Ungroup {node_id}"

    def apply(self, graph: Graph) -> None:
        self.node_ids = ungroup(graph, self.node_id)


# ------------------------------------------------------------------------------------ stack ---
class UndoStack:
    """Linear history. `index` counts the commands done; the clean index marks the saved state."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._commands: list[Command] = []
        self._index = 0
        self._clean: int | None = 0
        self.changed = Signal()  # () after push, undo, redo, set_clean, clear

    def push(self, command: Command) -> None:
        command.do(self.graph)  # a GraphError propagates: the graph is unchanged and nothing is pushed
        del self._commands[self._index:]
        if self._clean is not None and self._clean > self._index:
            self._clean = None  # the saved state can no longer be reached
        previous = self._commands[-1] if self._commands else None
        if previous is None or self.is_clean or not previous.merge_with(command):
            self._commands.append(command)
            self._index += 1
        self.changed.emit()

    def undo(self) -> None:
        if self.can_undo:
            self._index -= 1
            self._commands[self._index].undo(self.graph)
            self.changed.emit()

    def redo(self) -> None:
        if self.can_redo:
            self._commands[self._index].do(self.graph)
            self._index += 1
            self.changed.emit()

    @property
    def can_undo(self) -> bool:
        return self._index > 0

    @property
    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    @property
    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self.can_undo else ""

    @property
    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo else ""

    @property
    def index(self) -> int:
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    @property
    def is_clean(self) -> bool:
        return self._clean == self._index

    def set_clean(self) -> None:
        self._clean = self._index
        self.changed.emit()

    def clear(self) -> None:
        """Forget the history (a project was loaded); the current state is clean."""
        self._commands.clear()
        self._index = 0
        self._clean = 0
        self.changed.emit()
