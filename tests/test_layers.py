"""The import-layer contract: every module imports only its own layer and those below, and no
modules or packages import each other in a cycle (the layer rule of docs/conventions.md).

Every `crossmodal` import counts, at the top of a module, inside a function or under
TYPE_CHECKING alike.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "crossmodal"
#: The layers, lowest first. base: the modules every layer may use (errors, io, settings).
LAYERS = ("base", "data", "features", "models", "train", "eval", "workflows", "diagnose", "cli")
BASE = ("errors", "io", "settings", "threads")


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_of(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if module == "crossmodal.cli":
        return "cli"
    if len(parts) == 1 or parts[1] in BASE:
        return "base"
    if parts[1] in LAYERS:
        return parts[1]
    raise AssertionError(f"{module} belongs to no layer: place it in one of "
                         f"{', '.join(LAYERS[1:])} (or name it in tests/test_layers.py)")


def package_of(module: str) -> str:
    """crossmodal.models.vae -> crossmodal.models; a top-level module is its own package."""
    parts = module.split(".")
    return ".".join(parts[:2])


def imports(module: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every crossmodal module that `module` imports, anywhere in it."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "crossmodal":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from its package, up level - 1 packages
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            if base.split(".")[0] != "crossmodal":
                continue
            for alias in node.names:  # `from pkg import module` imports the module
                name = f"{base}.{alias.name}"
                yield node.lineno, name if name in MODULES else base


def graph() -> dict[str, set[str]]:
    return {m: {name for _, name in imports(m) if name != m} for m in MODULES}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected set of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                top = stack.pop()
                group.append(top)
                if top == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_import_names_a_module_of_the_package() -> None:
    unknown = [f"{MODULES[m].relative_to(ROOT)}:{line} imports {name}, which does not exist"
               for m in MODULES for line, name in imports(m) if name not in MODULES]
    assert not unknown, "\n".join(unknown)


def test_layers_import_only_downward() -> None:
    upward = []
    for module, path in MODULES.items():
        own = LAYERS.index(layer_of(module))
        for line, name in imports(module):
            if name in MODULES and LAYERS.index(layer_of(name)) > own:
                upward.append(f"{path.relative_to(ROOT)}:{line} ({layer_of(module)}) imports "
                              f"{name} ({layer_of(name)}), a higher layer")
    assert not upward, "layers import only downward, " + " < ".join(LAYERS) + ":\n" + \
        "\n".join(upward)


def test_no_modules_import_each_other_in_a_cycle() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_packages_import_each_other_in_a_cycle() -> None:
    packages: dict[str, set[str]] = {}
    for module, names in graph().items():
        packages.setdefault(package_of(module), set()).update(
            package_of(n) for n in names if package_of(n) != package_of(module))
    found = cycles(packages)
    assert not found, "package cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_the_checks_find_what_they_look_for() -> None:
    """The graph helpers themselves: a cycle is found, an import inside a function counts."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    # crossmodal.cli imports its commands' modules inside the commands
    assert "crossmodal.workflows.demo" in {name for _, name in imports("crossmodal.cli")}
    assert layer_of("crossmodal.settings.defaults") == "base"
    assert layer_of("crossmodal.diagnose.cli") == "diagnose"
