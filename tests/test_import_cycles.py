"""No import cycles between the modules of marketplace/, counting imports inside functions too.

Every module's source is read (not imported) and walked: an import anywhere in it, at the top,
in a function or under `if TYPE_CHECKING:`, is an edge to the module it names. The one
exception is what SQLAlchemy relationships need: a models module may name another domain's
models under TYPE_CHECKING for its type annotations (User <-> Organisation, for example),
which never runs.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module_names(root: Path, package: str) -> dict[str, Path]:
    names = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _type_checking_blocks(tree: ast.Module) -> set[int]:
    """The ids of the import nodes inside `if TYPE_CHECKING:` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        ):
            for statement in node.body:
                inside.update(id(child) for child in ast.walk(statement))
    return inside


def _is_model_back_reference(importer: str, imported: str) -> bool:
    return importer.endswith(".models") and imported.endswith(".models")


def import_graph(root: Path, package: str) -> dict[str, dict[str, int]]:
    """module -> {module it imports: the line of the first such import}."""
    modules = _module_names(root, package)
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        type_checking = _type_checking_blocks(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the importer's package upwards
                    parts = name.split(".") if is_package else name.split(".")[:-1]
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                # `from a import b` names the module a.b when there is one, else something in a
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                while target and target not in modules:  # a name inside a module
                    target = target.rpartition(".")[0]
                if not target or target == name:
                    continue
                if id(node) in type_checking and _is_model_back_reference(name, target):
                    continue
                graph[name].setdefault(target, node.lineno)
    return graph


def cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One cycle (as a closed path) for every group of modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph[module]:
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_path_through(graph, set(group)) for group in groups]


def _path_through(graph: dict[str, dict[str, int]], group: set[str]) -> list[str]:
    """A closed import path inside a group of modules that import each other."""
    start = min(group)
    parents = {start: ""}
    queue = [start]
    while queue:  # the shortest way back to the start, breadth first
        module = queue.pop(0)
        for other in sorted(graph[module]):
            if other == start:
                path = [module]
                while parents[path[-1]]:
                    path.append(parents[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, *path]
            if other in group and other not in parents:
                parents[other] = module
                queue.append(other)
    return sorted(group)


def _described(graph: dict[str, dict[str, int]], path: list[str]) -> str:
    steps = [
        f"{module} (line {graph[module][following]}) -> {following}"
        for module, following in itertools.pairwise(path)
    ]
    return "\n    ".join(steps)


def test_no_module_of_marketplace_imports_itself_through_others():
    graph = import_graph(ROOT, "marketplace")
    assert len(graph) > 100  # every module was read
    found = cycles(graph)
    assert not found, "import cycles:\n  " + "\n  ".join(_described(graph, path) for path in found)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = tmp_path / "shop" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    for folder in [tmp_path / "shop", *(tmp_path / "shop").rglob("*")]:
        if folder.is_dir() and not (folder / "__init__.py").exists():
            (folder / "__init__.py").write_text("", encoding="utf-8")
    return tmp_path


def test_an_import_inside_a_function_closes_a_cycle_too(tmp_path):
    root = _package(
        tmp_path,
        {
            "orders/services.py": "from shop.stock import services as stock\n",
            "stock/services.py": "def reserve():\n    from shop.orders.services import place\n",
        },
    )

    found = cycles(import_graph(root, "shop"))

    assert found == [["shop.orders.services", "shop.stock.services", "shop.orders.services"]]


def test_only_models_may_name_each_other_under_type_checking(tmp_path):
    guarded = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from shop.{other} import {name}\n"
    )
    root = _package(
        tmp_path,
        {
            "orders/models.py": "from shop.stock.models import Item\n",
            "stock/models.py": guarded.format(other="orders.models", name="Order"),
            "orders/services.py": "from shop.stock import services\n",
            "stock/services.py": guarded.format(other="orders.services", name="place"),
        },
    )

    found = cycles(import_graph(root, "shop"))

    assert found == [["shop.orders.services", "shop.stock.services", "shop.orders.services"]]


def test_relative_imports_are_followed(tmp_path):
    root = _package(
        tmp_path,
        {
            "orders/__init__.py": "from . import services\n",
            "orders/services.py": "from .. import orders\n",
        },
    )

    found = cycles(import_graph(root, "shop"))

    assert found == [["shop.orders", "shop.orders.services", "shop.orders"]]
