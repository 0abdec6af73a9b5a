"""The `studio` command. The GUI arrives with the studio issues; until then it says so plainly."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print("usage: studio\n\nModel Studio. The node editor is not built yet; the engine is importable as "
              "`import engine as torch`.")
        return 0
    print("Model Studio: the node editor is not available yet (the engine core is being built first).\n"
          "Try the engine: .venv/bin/python -c \"import engine as torch; print(torch.ones(2, 3))\"")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
