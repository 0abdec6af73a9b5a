"""The readable `Model(nn.Module)` class of an exported script, generated from a graph.

The class computes exactly what `compile_graph` computes: the same submodules under the same names (the
node ids, so state_dict keys match), the nodes in the same topological order, variadic ports in link
order, unconnected optional ports as None, and the Output value(s) returned (a tuple in Output-node order
when there are several). Graphs with Block nodes are expanded as compile does (`block__0__inner` ids).

With `with_loss=True` the forward also takes the Target tensors (default None) and, when they are given,
returns `(output, loss)`, the loss being the graph's loss node(s) (summed). The layers that only the loss
needs run after the early return, so `model(x)` costs what the compiled model costs.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine import nn as engine_nn
from studio.graph.compile import CompileError, check_node
from studio.graph.inference import BLOCK, Inference
from studio.graph.layers import HELPER_SOURCES
from studio.graph.model import Graph
from studio.graph.registry import ROLE_INPUT, ROLE_LOSS, ROLE_OUTPUT, ROLE_TARGET, module_code

Key = tuple[str, str]  # (node id, output port)
_RESERVED = frozenset({"self", "torch", "nn", "np", "None", "True", "False"})


@dataclass
class ModelCode:
    """The generated class and what the script around it needs to know."""

    source: str  # the `class Model(nn.Module)` definition
    helpers: tuple[str, ...]  # helper class names (HELPER_SOURCES) the class uses, in first-use order
    input_names: list[str]  # forward's arguments, one per Input node, in graph order
    target_names: list[str]  # extra forward arguments (default None) when the loss is built in
    output_names: list[str]
    loss_names: list[str]
    loss_types: list[str] = field(default_factory=list)  # e.g. ["CrossEntropy"], for the metrics
    output_only_layers: bool = False  # some layers do not reach the loss (DDP's find_unused_parameters)
    input_shapes: dict[str, tuple] = field(default_factory=dict)  # Input/Target node -> per-sample shape
    input_dtypes: dict[str, str] = field(default_factory=dict)

    def helper_source(self) -> str:
        return "\n\n".join(HELPER_SOURCES[name].rstrip() + "\n" for name in self.helpers)


def upstream(graph: Graph, ends: Iterable[str]) -> set[str]:
    """The given nodes and every node they depend on."""
    into: dict[str, list[str]] = {}
    for link in graph.links:
        into.setdefault(link.dst, []).append(link.src)
    stack = list(ends)
    seen = set(stack)
    while stack:
        for src in into.get(stack.pop(), ()):
            if src not in seen:
                seen.add(src)
                stack.append(src)
    return seen


def expanded(graph: Graph) -> Graph:
    """The graph compile sees: Block nodes expanded into their copies."""
    if any(node.type == BLOCK for node in graph):
        from studio.graph.blocks import expand_blocks

        return expand_blocks(graph)
    return graph


def _plain_attribute(node_id: str) -> bool:
    """`self.<id>` spells the attribute: not a keyword, not name-mangled, not NFKC-normalised."""
    return node_id.isascii() and not keyword.iskeyword(node_id) and not node_id.startswith("__")


class _Names:
    """Local variable names in forward: the node id where it is a safe, unused name."""

    def __init__(self) -> None:
        self.used: set[str] = set(_RESERVED)

    def take(self, wanted: str) -> str:
        name = wanted if wanted.isidentifier() and wanted.isascii() else "value"
        while keyword.iskeyword(name) or name in self.used:
            name += "_"
        self.used.add(name)
        return name


def model_code(graph: Graph, *, with_loss: bool = False) -> ModelCode:
    """Generate the Model class for `graph`; raises CompileError where compile_graph would."""
    graph = expanded(graph)
    inference = Inference(graph, attach=False)
    inference.infer()
    roles = {node.id: node.spec.role for node in graph}
    inputs = [n for n, role in roles.items() if role == ROLE_INPUT]
    targets = [n for n, role in roles.items() if role == ROLE_TARGET]
    outputs = [n for n, role in roles.items() if role == ROLE_OUTPUT]
    losses = [n for n, role in roles.items() if role == ROLE_LOSS] if with_loss else []
    if not inputs:
        raise CompileError("cannot export: the graph has no Input node")
    if not outputs:
        raise CompileError("cannot export: the graph has no Output node")

    for_output = upstream(graph, outputs)
    for_loss = upstream(graph, losses) if losses else set()
    order = [n for n in graph.topological_order() if n in for_output | for_loss]
    for node_id in order:
        check_node(graph, inference, node_id)
    used_targets = [t for t in targets if t in for_loss]
    if losses and not used_targets:
        raise CompileError("cannot export training: the loss does not read a Target node")

    names = _Names()
    variables: dict[Key, str] = {}
    for node_id in inputs + used_targets:
        variables[(node_id, "out")] = names.take(node_id)

    init_lines: list[str] = []
    helpers: list[str] = []
    steps: dict[str, list[str]] = {}
    for node_id in order:
        node = graph.nodes[node_id]
        spec = node.spec
        if spec.role in (ROLE_INPUT, ROLE_TARGET, ROLE_OUTPUT):
            continue
        if hasattr(engine_nn.Module, node_id):
            raise CompileError(f"cannot export: the node id {node_id!r} clashes with a module attribute; "
                               "rename the node", node_id=node_id)
        code = module_code(spec, node.params, inference.infos[node_id].inputs)
        if code is None:
            raise CompileError(f"cannot export: {spec.type} '{node.title}' has no code", node_id=node_id)
        helpers.extend(spec.code_helpers)
        if node.label and node.label != node_id:
            init_lines.append(f"# {node_id}: {node.label!r}")
        if _plain_attribute(node_id):
            init_lines.append(f"self.{node_id} = {code}")
            call = f"self.{node_id}"
        else:
            init_lines.append(f"setattr(self, {node_id!r}, {code})")
            call = f"getattr(self, {node_id!r})"
        args = _arguments(graph, node_id, variables)
        ports = graph.output_ports(node)
        outs = [names.take(node_id if len(ports) == 1 else f"{node_id}_{p.name}") for p in ports]
        variables.update({(node_id, p.name): v for p, v in zip(ports, outs)})
        steps[node_id] = [f"{', '.join(outs)} = {call}({', '.join(args)})"]

    returned = [variables[_source(graph, n)] for n in outputs if n in for_output]
    result = returned[0] if len(returned) == 1 else f"({', '.join(returned)})"
    body = [line for n in order if n in for_output for line in steps.get(n, ())]
    signature = [variables[(n, "out")] for n in inputs]
    if losses:
        target_vars = [variables[(n, "out")] for n in used_targets]
        signature += [f"{v}=None" for v in target_vars]
        body.append(f"if {' or '.join(f'{v} is None' for v in target_vars)}:")
        body.append(f"    return {result}")
        body += [line for n in order if n not in for_output for line in steps.get(n, ())]
        loss_vars = [variables[(n, "loss")] for n in losses]
        body.append(f"return {result}, {' + '.join(loss_vars)}")
    else:
        body.append(f"return {result}")

    lines = ["class Model(nn.Module):", f'    """{_docstring(graph, outputs, losses)}"""', "",
             "    def __init__(self):", "        super().__init__()"]
    lines += [f"        {line}" for line in init_lines]
    lines += ["", f"    def forward(self, {', '.join(signature)}):"]
    lines += [f"        {line}" for line in body]
    shapes = {n: tuple(graph.nodes[n].params["shape"]) for n in inputs + targets}
    dtypes = {n: graph.nodes[n].params["dtype"] for n in inputs + targets}
    layers = {n for n in for_output if roles[n] not in (ROLE_INPUT, ROLE_OUTPUT)}
    return ModelCode(
        source="\n".join(lines) + "\n", helpers=tuple(dict.fromkeys(helpers)), input_names=inputs,
        target_names=used_targets if losses else [], output_names=[n for n in outputs if n in for_output],
        loss_names=losses, loss_types=[graph.nodes[n].type for n in losses],
        output_only_layers=bool(losses) and bool(layers - for_loss), input_shapes=shapes,
        input_dtypes=dtypes)


def _source(graph: Graph, node_id: str) -> Key:
    link = graph.links_into(node_id)[0]
    return link.src, link.src_port


def _arguments(graph: Graph, node_id: str, variables: dict[Key, str]) -> list[str]:
    """The call's arguments in port order, as compile passes them."""
    into = graph.links_into(node_id)
    args: list[str | None] = []
    for port in graph.input_ports(graph.nodes[node_id]):
        links = [link for link in into if link.dst_port == port.name]
        if port.variadic:
            args.extend(variables[(link.src, link.src_port)] for link in links)
        else:
            args.append(variables[(links[0].src, links[0].src_port)] if links else None)
    while args and args[-1] is None:
        args.pop()
    return ["None" if a is None else a for a in args]


def _docstring(graph: Graph, outputs: list[str], losses: list[str]) -> str:
    what = "the output" if len(outputs) == 1 else f"a tuple of the {len(outputs)} outputs"
    if losses:
        return f"Returns {what}; given the targets too, ({what}, the loss)."
    return f"Returns {what}."
