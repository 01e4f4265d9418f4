"""The layer order of ARCHITECTURE.md holds: no module of saropt imports a layer above its own.

The order is read from the one list ARCHITECTURE.md shows (its layout block, bottom layer
first), so the document and this test cannot drift apart. ``seeding.py`` sits in the bottom
layer beside ``errors.py`` (README, "Layout"): seeds are needed from ``synth/`` upwards.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "saropt"
ARCHITECTURE = (ROOT / ".." / "shared" / "design" / "ARCHITECTURE.md").resolve()


def architecture_layers(text: str) -> list[str]:
    """Layer names in the order of ARCHITECTURE.md's ``saropt/`` layout block."""
    block = text.split("```", 2)[1]
    names = []
    inside = False
    for line in block.splitlines():
        if line.startswith("saropt/"):
            inside = True
            continue
        if inside and line and not line.startswith(" "):
            break  # configs/, benchmarks/, tests/: outside the package
        m = re.match(r"^  ([a-z_]+)(?:/|\.py)\s", line)
        if inside and m:
            names.append(m.group(1))
    return names


def layer_rank() -> dict[str, int]:
    """Rank of every top-level name of saropt: higher ranks may import lower ones."""
    if not ARCHITECTURE.is_file():
        raise FileNotFoundError(f"ARCHITECTURE.md expected at {ARCHITECTURE}")
    names = architecture_layers(ARCHITECTURE.read_text())
    rank = {name: i for i, name in enumerate(names)}
    rank["seeding"] = rank["errors"]
    rank["__init__"] = -1  # the package root: its version only
    rank["__main__"] = len(names)  # `python -m saropt` runs the command
    return rank


def imported_layers(path: Path, root: Path = ROOT) -> set[str]:
    """Top-level saropt names a module under ``root`` imports, lazy imports included."""
    tree = ast.parse(path.read_text())
    pkg = path.relative_to(root).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                mods = [".".join((*base, node.module or ""))]
            else:
                mods = [node.module or ""]
                if node.module == "saropt":  # from saropt import X
                    mods = [f"saropt.{a.name}" for a in node.names]
        else:
            continue
        for mod in mods:
            parts = mod.split(".")
            if parts[0] == "saropt" and len(parts) > 1:
                found.add(parts[1])
    return found


def own_layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


class TestLayers:
    def test_architecture_lists_every_layer(self) -> None:
        rank = layer_rank()
        present = {own_layer(p) for p in PACKAGE.rglob("*.py")}
        assert present <= set(rank), f"not in ARCHITECTURE.md: {present - set(rank)}"

    def test_no_module_imports_a_layer_above_its_own(self) -> None:
        rank = layer_rank()
        wrong = []
        for path in sorted(PACKAGE.rglob("*.py")):
            mine = own_layer(path)
            for other in imported_layers(path):
                if other == "__version__":
                    continue
                if rank[other] > rank[mine]:
                    wrong.append(f"{path.relative_to(ROOT)} ({mine}) imports {other}")
        assert not wrong, "\n".join(wrong)

    def test_the_checker_sees_upward_imports(self, tmp_path: Path) -> None:
        # the checker itself can fail: lazy, relative and `from saropt import` imports count
        models = tmp_path / "saropt" / "models"
        models.mkdir(parents=True)
        probe = models / "probe.py"
        probe.write_text(
            "from saropt import cli\n"
            "from ..report import html\n"
            "def f() -> None:\n    from saropt.tasks import matching\n"
        )
        assert imported_layers(probe, tmp_path) == {"cli", "report", "tasks"}
        rank = layer_rank()
        assert min(rank[n] for n in ("cli", "report", "tasks")) > rank["models"]

    @pytest.mark.parametrize(
        ("text", "expected"),
        [("```\nsaropt/\n  errors.py  e\n  io/   i\nconfigs/  c\n```", ["errors", "io"])],
    )
    def test_layout_block_parsed_in_order(self, text: str, expected: list[str]) -> None:
        assert architecture_layers(text) == expected
