"""Graph <-> plain dicts, the JSON text form, and atomic file writes. Qt-free; never eval or pickle.

The text is `json.dumps(..., indent=2, sort_keys=True, ensure_ascii=False)` plus a newline, so two
saves of the same graph are byte-identical and diffs stay readable. Nodes and links keep graph order
(link order matters for variadic inputs such as Concat). Floats are written with repr() (exact).
Reading refuses anything odd with one ProjectFormatError whose `location` is a JSON path
(`graph.nodes[3].type`).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import registry
from .errors import GraphError, ProjectFormatError
from .model import Graph, Link, Node

FORMAT_VERSION = 1  # of project and block files; project.MIGRATIONS upgrades older ones
_MISSING = object()
_LINK_KEYS = ("src", "src_port", "dst", "dst_port")
_TYPE_WORDS = {dict: "an object", list: "a list", str: "text", int: "a whole number", bool: "true or false",
               float: "a number"}


# ------------------------------------------------------------------------------------------ text ---
def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def loads(text: str, *, path: str | None = None) -> dict[str, Any]:
    """Parse JSON text into an object, or raise ProjectFormatError naming line and column."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ProjectFormatError(f"not valid JSON: {exc.msg}", location=where, path=path) from None
    if not isinstance(data, dict):
        raise ProjectFormatError(f"the file must hold a JSON object, not {_kind(data)}", path=path)
    return data


def read_text(path: str | os.PathLike[str]) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectFormatError(f"not UTF-8 text (byte {exc.start})", path=str(path)) from None
    except OSError as exc:
        raise ProjectFormatError(f"cannot read {path}: {exc.strerror or exc}", path=str(path)) from None


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write beside the target, flush + fsync, then rename over it: readers see the old file or the new
    one, never half of one, and a failure leaves the old file intact and no temp file behind."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode = target.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); platforms without directory fds skip it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------- to a dict ---
def json_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return [json_value(v) for v in value]
    return value


def node_to_dict(node: Node) -> dict[str, Any]:
    return {"id": node.id, "type": node.type, "label": node.label,
            "position": [node.position[0], node.position[1]],
            "params": {k: json_value(v) for k, v in node.params.items()}}


def link_to_dict(link: Link) -> dict[str, str]:
    return {"src": link.src, "src_port": link.src_port, "dst": link.dst, "dst_port": link.dst_port}


def graph_to_dict(graph: Graph) -> dict[str, Any]:
    return {"nodes": [node_to_dict(n) for n in graph], "links": [link_to_dict(l) for l in graph.links]}


# -------------------------------------------------------------------------------- from a dict ---
def field(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], location: str,
          default: Any = _MISSING) -> Any:
    """obj[key] checked against `kind`; a missing key takes `default` or is refused."""
    where = f"{location}.{key}" if location else key
    if not isinstance(obj, Mapping):
        raise ProjectFormatError(f"expected an object, not {_kind(obj)}", location=location or None)
    if key not in obj:
        if default is _MISSING:
            raise ProjectFormatError(f"missing {key!r}", location=location or None)
        return default
    value = obj[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
        words = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kinds)
        raise ProjectFormatError(f"{key} must be {words}, not {_kind(value)}", location=where)
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return repr(value)
    return {dict: "an object", list: "a list"}.get(type(value), type(value).__name__)


def node_from_dict(data: Any, location: str, blocks: Mapping[str, Any]) -> Node:
    if not isinstance(data, dict):
        raise ProjectFormatError(f"a node must be an object, not {_kind(data)}", location=location)
    node_id = field(data, "id", str, location)
    if not node_id.isidentifier():
        raise ProjectFormatError(f"{node_id!r} is not a valid node id (letters, digits and _ only)",
                                 location=f"{location}.id")
    layer_type = field(data, "type", str, location)
    try:
        spec = registry.get(layer_type)
    except GraphError:
        raise ProjectFormatError(f"unknown layer type {layer_type!r}", location=f"{location}.type") from None
    label = field(data, "label", str, location, "")
    position = field(data, "position", list, location, [0.0, 0.0])
    if len(position) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                      for v in position):
        raise ProjectFormatError("position must be two numbers [x, y]", location=f"{location}.position")
    raw = field(data, "params", dict, location, {})
    for name, value in raw.items():
        where = f"{location}.params.{name}"
        try:
            spec.param(name).validate(value, node_id=node_id)
        except GraphError as exc:
            raise ProjectFormatError(exc.message, location=where) from None
    params = spec.validate_params(raw, node_id=node_id)
    if layer_type == "Block" and params["block"] not in blocks:
        raise ProjectFormatError(f"there is no block definition {params['block']!r}",
                                 location=f"{location}.params.block")
    return Node(node_id, layer_type, params, (float(position[0]), float(position[1])), label)


def graph_from_dict(data: Any, location: str = "graph", blocks: dict[str, Any] | None = None) -> Graph:
    """Build a Graph from its dict, checking everything an edit would check; `blocks` is shared."""
    if not isinstance(data, dict):
        raise ProjectFormatError(f"a graph must be an object, not {_kind(data)}", location=location)
    graph = Graph(blocks=blocks if blocks is not None else {})
    for i, raw in enumerate(field(data, "nodes", list, location)):
        node = node_from_dict(raw, f"{location}.nodes[{i}]", graph.blocks)
        if node.id in graph.nodes:
            raise ProjectFormatError(f"duplicate node id {node.id!r}", location=f"{location}.nodes[{i}].id")
        graph.nodes[node.id] = node
    seen: set[Link] = set()
    for i, raw in enumerate(field(data, "links", list, location)):
        link = _link_from_dict(graph, raw, f"{location}.links[{i}]", seen)
        seen.add(link)
        graph.links.append(link)
    check_acyclic(graph, location)
    return graph


def _link_from_dict(graph: Graph, data: Any, location: str, seen: set[Link]) -> Link:
    if not isinstance(data, dict):
        raise ProjectFormatError(f"a link must be an object, not {_kind(data)}", location=location)
    src, src_port, dst, dst_port = (field(data, key, str, location) for key in _LINK_KEYS)
    for node_id in (src, dst):
        if node_id not in graph.nodes:
            raise ProjectFormatError(f"the link refers to node {node_id!r} which does not exist",
                                     location=location)
    src_node, dst_node = graph.nodes[src], graph.nodes[dst]
    if all(p.name != src_port for p in graph.output_ports(src_node)):
        raise ProjectFormatError(f"{src} ({src_node.type}) has no output {src_port!r}",
                                 location=f"{location}.src_port")
    in_spec = next((p for p in graph.input_ports(dst_node) if p.name == dst_port), None)
    if in_spec is None:
        raise ProjectFormatError(f"{dst} ({dst_node.type}) has no input {dst_port!r}",
                                 location=f"{location}.dst_port")
    link = Link(src, src_port, dst, dst_port)
    if link in seen:
        raise ProjectFormatError(f"{link} appears twice", location=location)
    if not in_spec.variadic and any(l.dst == dst and l.dst_port == dst_port for l in seen):
        raise ProjectFormatError(f"input {dst_port!r} of {dst} has more than one link", location=location)
    return link


def check_acyclic(graph: Graph, location: str) -> None:
    """Refuse a cycle, naming only the nodes on it (peeling sources and sinks leaves exactly those)."""
    remaining = set(graph.nodes)
    links = list(graph.links)
    changed = True
    while changed:
        changed = False
        live = [l for l in links if l.src in remaining and l.dst in remaining]
        has_in = {l.dst for l in live}
        has_out = {l.src for l in live}
        peel = {n for n in remaining if n not in has_in or n not in has_out}
        if peel:
            remaining -= peel
            changed = True
    if remaining:
        on_cycle = [n for n in graph.nodes if n in remaining]
        first = next(i for i, l in enumerate(links) if l.src in remaining and l.dst in remaining)
        raise ProjectFormatError(f"the links form a cycle through {', '.join(on_cycle)}",
                                 location=f"{location}.links[{first}]")
