"""Engine modules the studio needs that torch.nn lacks, defined once as plain source.

Each class lives in HELPER_SOURCES as the text an exported script pastes in (written against the names
`torch` and `nn`, so the same text runs on PyTorch and on the engine); this module executes that text
with `torch = engine` on first use, so the compiled model and the exported script cannot drift apart
(and a bundled app without .py sources can still export them).

- SelfAttention2d: the SAGAN self-attention block (parameters query_conv, key_conv, value_conv, gamma;
  the query/key convolutions have in_dim // 8 channels, gamma starts at 0 so the block starts as x).
- MultiheadAttentionQKV: nn.MultiheadAttention whose key/value inputs are optional (key defaults to the
  query, value to the key) and that always returns (out, weights); state_dict keys are nn's.
- LSTMLayer: nn.LSTM returning (out, h_n) like nn.RNN/nn.GRU (the cell state is dropped).
"""

from __future__ import annotations

from typing import Any

HELPER_SOURCES: dict[str, str] = {
    "SelfAttention2d": '''\
class SelfAttention2d(nn.Module):
    """SAGAN self-attention over the H*W positions of a feature map; returns gamma * attended + x."""

    def __init__(self, in_dim):
        super().__init__()
        self.channel_in = in_dim
        self.query_conv = nn.Conv2d(in_dim, in_dim // 8, kernel_size=1)
        self.key_conv = nn.Conv2d(in_dim, in_dim // 8, kernel_size=1)
        self.value_conv = nn.Conv2d(in_dim, in_dim, kernel_size=1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.softmax = nn.Softmax(dim=-1)

    def forward(self, x):
        batch, channels, height, width = x.shape
        positions = height * width
        query = self.query_conv(x).reshape(batch, -1, positions).transpose(1, 2)  # B x HW x C/8
        key = self.key_conv(x).reshape(batch, -1, positions)  # B x C/8 x HW
        attention = self.softmax(torch.bmm(query, key))  # B x HW x HW, rows sum to 1
        value = self.value_conv(x).reshape(batch, -1, positions)  # B x C x HW
        attended = torch.bmm(value, attention.transpose(1, 2)).reshape(batch, channels, height, width)
        return self.gamma * attended + x
''',
    "MultiheadAttentionQKV": '''\
class MultiheadAttentionQKV(nn.MultiheadAttention):
    """nn.MultiheadAttention with optional key/value (key defaults to query, value to key)."""

    def forward(self, query, key=None, value=None):
        key = query if key is None else key
        value = key if value is None else value
        return super().forward(query, key, value, need_weights=True)
''',
    "LSTMLayer": '''\
class LSTMLayer(nn.LSTM):
    """nn.LSTM that returns (out, h_n) like nn.RNN and nn.GRU."""

    def forward(self, x):
        out, (h_n, _) = super().forward(x)
        return out, h_n
''',
}


_CLASSES: dict[str, type] = {}


def _define() -> dict[str, type]:
    import engine

    namespace: dict[str, Any] = {"torch": engine, "nn": engine.nn, "__name__": __name__}
    for name, source in HELPER_SOURCES.items():
        exec(compile(source, f"<studio helper {name}>", "exec"), namespace)  # our own constant source
    return {name: namespace[name] for name in HELPER_SOURCES}


def __getattr__(name: str) -> type:
    """The classes are made on first use, so importing this module (for HELPER_SOURCES) needs no engine."""
    if name in HELPER_SOURCES:
        if not _CLASSES:
            _CLASSES.update(_define())
        return _CLASSES[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def helper_source(names: list[str] | tuple[str, ...]) -> str:
    """The class definitions an exported script needs, in a stable order, separated by blank lines."""
    return "\n\n".join(HELPER_SOURCES[name] for name in dict.fromkeys(names))
