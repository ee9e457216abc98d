"""The package's layers (docs/architecture.md) hold: every import points down, no module
imports another's private name, no import circle, and ``import simulacra`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import simulacra

ROOT = Path(simulacra.__file__).parent
#: The layer of each part of the package, as docs/architecture.md draws them.
LAYERS = {
    "cli": 8, "bench": 7, "__init__": 7, "multitable": 7, "pipeline": 7, "drift": 7,
    "serve": 7, "scale": 7,
    "models": 6, "evaluation": 6, "schema": 6, "pseudonymize": 6,
    "encoders": 5, "metadata": 4, "constraints": 3, "serialization": 3,
    "windows": 3,
    "neural": 3,
    "kinds": 2, "privacy": 2, "formats": 2, "params": 2, "randomness": 2, "io": 2,
    "dataframes": 2, "memory": 2,
    "errors": 1, "precision": 1, "htmlrepr": 1, "datasets": 1, "_version": 1,
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str:
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


MODULES = {_module(p): p for p in ROOT.rglob("*.py")}


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` of every simulacra import in the file, at any depth."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "simulacra":
            out.append((node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name.split(".")[0] == "simulacra"]
    return out


def _targets(module: str, names: list[str]) -> list[str]:
    """The modules an import reaches: ``from a import b`` reaches ``a.b`` when it is one."""
    found = [f"{module}.{n}" for n in names if f"{module}.{n}" in MODULES]
    return found or [module]


def test_every_part_of_the_package_has_a_layer():
    assert {_part(m) for m in MODULES} == set(LAYERS)


def test_every_import_points_down_or_stays_in_its_layer():
    upward = []
    for module, path in MODULES.items():
        for target, names in _imports(path):
            for reached in _targets(target, names):
                if LAYERS[_part(reached)] > LAYERS[_part(module)]:
                    upward.append(f"{module} -> {reached}")
    assert not upward, "imports that run back up:\n" + "\n".join(upward)


def test_no_module_imports_another_modules_private_name():
    private = [f"{module}: from {target} import {name}"
               for module, path in MODULES.items() for target, names in _imports(path)
               for name in names if name.startswith("_") and not name.startswith("__")
               and target != module]
    assert not private, "\n".join(private)


def test_no_import_circle():
    graph = {m: {t for target, names in _imports(p) for t in _targets(target, names)
                 if t in MODULES and t != m} for m, p in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (circle := visit(nxt, [*path, node])) is not None:
                return circle
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            circle = visit(start, [])
            assert circle is None, " -> ".join(circle[circle.index(circle[-1]):])


def test_importing_simulacra_stays_light():
    code = ("import sys, simulacra; print(sorted(m for m in ('torch', 'opacus', 'sklearn', "
            "'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
