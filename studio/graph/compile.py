"""Compile a graph to an engine nn.Module.

`compile_graph(graph)` returns a GraphModule whose submodules are named after the node ids (so state_dict
keys read "conv1.weight") and whose forward runs the nodes in topological order, routing tensors along
the links:
  - forward(*inputs) takes one tensor per Input node, in the order the Input nodes were added to the
    graph (`module.input_names`); a single dict (or keyword arguments) keyed by node id works too;
  - it returns the Output node's value, or a tuple in Output-node order when there are several;
    `forward_all` returns a dict {node id: value} for every Output (and, in loss mode, loss) node;
  - with `include_loss=True`, forward(*inputs, *targets) also takes one tensor per Target node
    (`module.target_names`) and returns the loss node's value (the sum when there are several).
Only the nodes an Output (or loss) depends on are built. A layer's module receives its inputs in port
order; a variadic port passes its links in link order, an unconnected optional port passes None (or
nothing, when no later port is connected). A multi-output module returns a tuple in output-port order.

Capture: `with module.capture(["conv1"]):` (or `module.capture_nodes = {"conv1"}`) makes each forward
store `module.captured[node_id]`: the node's output detached (a dict port -> tensor for nodes with several
outputs). Nothing is stored, and nothing costs, when no node is captured.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from engine import nn

from .errors import GraphError
from .inference import BLOCK, ERROR, OK, Inference, block_outputs
from .model import Graph
from .registry import ROLE_INPUT, ROLE_LOSS, ROLE_OUTPUT, ROLE_TARGET, build_module

Key = tuple[str, str]  # (node id, output port)


class CompileError(GraphError):
    """The graph cannot become a module (an inference error, no Input/Output, a layer without a module)."""


class GraphModule(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.input_names: list[str] = []
        self.target_names: list[str] = []
        self.output_names: list[str] = []
        self.loss_names: list[str] = []
        self.include_loss = False
        self.captured: dict[str, Any] = {}
        # (node id, is module, argument keys, output keys, keys no longer needed after this step)
        self._steps: list[tuple[str, bool, tuple[Key | None, ...], tuple[Key, ...], tuple[Key, ...]]] = []
        self._capture: frozenset[str] = frozenset()
        self._aliases: dict[str, dict[str, Key]] = {}  # block node id -> {port: key in the expanded graph}

    # -------------------------------------------------------------------------------------- running ---
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        values = self.forward_all(*args, **kwargs)
        if self.include_loss:
            losses = [values[name] for name in self.loss_names]
            total = losses[0]
            for loss in losses[1:]:
                total = total + loss
            return total
        outputs = tuple(values[name] for name in self.output_names)
        return outputs[0] if len(outputs) == 1 else outputs

    def forward_all(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        values: dict[Key, Any] = {}
        names = self.input_names + self.target_names if self.include_loss else self.input_names
        for name, tensor in zip(names, self._bind(names, args, kwargs)):
            values[(name, "out")] = tensor
        capture = self._capture
        if capture:
            self.captured.clear()
            for name in names:
                if name in capture:
                    self.captured[name] = _detach(values[(name, "out")])
        results: dict[str, Any] = {}
        modules = self._modules
        for node_id, is_module, arg_keys, out_keys, drop in self._steps:
            call_args = [None if key is None else values[key] for key in arg_keys]
            if is_module:
                result = modules[node_id](*call_args)
            else:  # an Output node passes its input on
                result = call_args[0]
                results[node_id] = result
            if len(out_keys) == 1:
                values[out_keys[0]] = result
            elif out_keys:
                values.update(zip(out_keys, result))
            if node_id in self.loss_names:
                results[node_id] = result
            if capture and node_id in capture:
                self.captured[node_id] = _detach(result) if len(out_keys) <= 1 else \
                    {key[1]: _detach(values[key]) for key in out_keys}
            for key in drop:
                del values[key]
        if capture and self._aliases:
            self._capture_blocks()
        return results

    def _bind(self, names: list[str], args: tuple, kwargs: dict[str, Any]) -> list[Any]:
        if len(args) == 1 and isinstance(args[0], dict) and not kwargs:
            args, kwargs = (), dict(args[0])
        if len(args) > len(names):
            raise TypeError(f"the model takes {len(names)} inputs ({', '.join(names)}), got {len(args)}")
        bound = list(args)
        for name in names[len(args):]:
            if name not in kwargs:
                raise TypeError(f"missing input {name!r} (the model takes {', '.join(names)})")
            bound.append(kwargs.pop(name))
        if kwargs:
            raise TypeError(f"unexpected input {sorted(kwargs)[0]!r} (the model takes {', '.join(names)})")
        return bound

    # -------------------------------------------------------------------------------------- capture ---
    @property
    def capture_nodes(self) -> frozenset[str]:
        return self._requested

    @capture_nodes.setter
    def capture_nodes(self, node_ids: Iterable[str]) -> None:
        requested = frozenset(node_ids)
        known = {step[0] for step in self._steps} | set(self.input_names) | set(self.target_names)
        unknown = requested - known - set(self._aliases)
        if unknown:
            raise CompileError(f"cannot capture {sorted(unknown)[0]!r}: it is not part of the compiled model",
                               node_id=sorted(unknown)[0])
        inner = {key[0] for block in requested & set(self._aliases) for key in self._aliases[block].values()}
        self._requested = requested
        self._capture = frozenset(requested | inner)

    @contextmanager
    def capture(self, node_ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """Capture these nodes' outputs during the forwards inside the block; yields `captured`."""
        previous = self.capture_nodes
        self.capture_nodes = node_ids
        try:
            yield self.captured
        finally:
            self.capture_nodes = previous

    def _capture_blocks(self) -> None:
        for block, ports in self._aliases.items():
            if block in self._requested:
                found = {port: _port_value(self.captured.get(key[0]), key[1]) for port, key in ports.items()}
                self.captured[block] = next(iter(found.values())) if len(found) == 1 else found
        for extra in self._capture - self._requested:
            self.captured.pop(extra, None)

    _requested: frozenset[str] = frozenset()


def compile_graph(graph: Graph, *, include_loss: bool = False,
                  inference: Inference | None = None) -> GraphModule:
    """The engine module for `graph` (see the module docstring); raises CompileError with the first problem.

    `inference` may be the graph's live Inference (saves re-inferring); graphs with Block nodes are
    expanded first (blocks.expand_blocks) and always re-inferred.
    """
    aliases: dict[str, dict[str, Key]] = {}
    if any(n.type == BLOCK for n in graph):
        from .blocks import expand_blocks

        expanded = expand_blocks(graph)
        aliases = {n.id: block_outputs(graph, n.id) for n in graph if n.type == BLOCK}
        graph, inference = expanded, None
    if inference is None or inference.graph is not graph:
        inference = Inference(graph, attach=False)
    inference.infer()

    roles = {n.id: n.spec.role for n in graph}
    inputs = [n for n, role in roles.items() if role == ROLE_INPUT]
    targets = [n for n, role in roles.items() if role == ROLE_TARGET]
    outputs = [n for n, role in roles.items() if role == ROLE_OUTPUT]
    losses = [n for n, role in roles.items() if role == ROLE_LOSS]
    if not inputs:
        raise CompileError("cannot compile: the graph has no Input node")
    if include_loss and not losses:
        raise CompileError("cannot compile for training: the graph has no loss node")
    if not include_loss and not outputs:
        raise CompileError("cannot compile: the graph has no Output node")

    ends = outputs + losses if include_loss else outputs
    needed = _upstream(graph, ends)
    order = [n for n in graph.topological_order() if n in needed]
    for node_id in order:
        check_node(graph, inference, node_id)

    module = GraphModule()
    module.input_names, module.target_names = inputs, targets if include_loss else []
    module.output_names = [n for n in outputs if n in needed]
    module.loss_names = losses if include_loss else []
    module.include_loss = include_loss
    module._aliases = {block: ports for block, ports in aliases.items()
                       if all(key[0] in needed for key in ports.values())}

    steps = []
    for node_id in order:
        node = graph.nodes[node_id]
        spec = node.spec
        if spec.role in (ROLE_INPUT, ROLE_TARGET):
            continue
        arg_keys: list[Key | None] = []
        into = graph.links_into(node_id)
        for port in graph.input_ports(node):
            links = [l for l in into if l.dst_port == port.name]
            if port.variadic:
                arg_keys.extend((l.src, l.src_port) for l in links)
            else:
                arg_keys.append((links[0].src, links[0].src_port) if links else None)
        while arg_keys and arg_keys[-1] is None:
            arg_keys.pop()
        is_module = spec.role != ROLE_OUTPUT
        if is_module:
            built = build_module(spec, node.params, inference.infos[node_id].inputs)
            if built is None:
                raise CompileError(f"cannot compile: {spec.type} '{node.title}' has no module",
                                   node_id=node_id)
            if hasattr(module, node_id) and node_id not in module._modules:
                raise CompileError(f"cannot compile: the node id {node_id!r} clashes with a module "
                                   "attribute; rename the node", node_id=node_id)
            module.add_module(node_id, built)
        out_keys = tuple((node_id, p.name) for p in graph.output_ports(node))
        steps.append((node_id, is_module, tuple(arg_keys), out_keys))
    module._steps = _with_drops(steps)
    return module


def check_node(graph: Graph, inference: Inference, node_id: str) -> None:
    info = inference.infos[node_id]
    if info.status == OK:
        return
    node = graph.nodes[node_id]
    where = f"{node.type} '{node.title}'"
    if info.status == ERROR and info.error is not None:
        raise CompileError(f"cannot compile: {where}: {info.error.message}", node_id=node_id,
                           port=info.error.port)
    raise CompileError(f"cannot compile: {where}: {info.hint or 'its shape is unknown'}", node_id=node_id)


def _upstream(graph: Graph, ends: list[str]) -> set[str]:
    into: dict[str, list[str]] = {}
    for link in graph.links:
        into.setdefault(link.dst, []).append(link.src)
    stack, seen = list(ends), set(ends)
    while stack:
        for src in into.get(stack.pop(), ()):
            if src not in seen:
                seen.add(src)
                stack.append(src)
    return seen


def _with_drops(steps: list[tuple]) -> list[tuple]:
    """Attach to each step the values it was the last to read, so forward frees them early."""
    last_use: dict[Key, int] = {}
    for index, (_, _, arg_keys, _) in enumerate(steps):
        for key in arg_keys:
            if key is not None:
                last_use[key] = index
    drops: list[list[Key]] = [[] for _ in steps]
    for key, index in last_use.items():
        drops[index].append(key)
    return [(*step, tuple(dict.fromkeys(drops[i]))) for i, step in enumerate(steps)]


def _detach(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_detach(v) for v in value)
    return value.detach() if hasattr(value, "detach") else value


def _port_value(captured: Any, port: str) -> Any:
    return captured.get(port) if isinstance(captured, dict) else captured
