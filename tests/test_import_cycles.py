"""No import cycle among the project's modules: every import statement of ``app``, ``printer``
and ``display`` counts, at the top of a module or inside a function (a function-level import
hides a cycle, it does not remove it). A cycle is a strongly connected component of the graph
"module -> the project modules it imports"."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "printer", "display")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            found[module_name(path)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known:
                    out.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    out.add(sub)
                elif target in known:
                    out.add(target)
    out.discard(name)
    return out


def cycles() -> list[list[str]]:
    """Each cycle: the modules of one strongly connected component (Tarjan)."""
    known = modules()
    graph = {name: imports(name, path, known) for name, path in known.items()}
    index, low, stack, on, result = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return result


def test_the_graph_sees_function_level_imports():
    known = modules()
    # app/__init__.py imports its blueprints inside create_app.
    assert "app.admin" in imports("app", known["app"], known)
    assert "app.realtime" in imports("app.print_jobs", known["app.print_jobs"], known)


def test_no_module_imports_itself_round_a_cycle():
    assert cycles() == []


def _imported_names(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return names


def test_the_product_and_the_benchmarks_never_import_the_tests():
    """Tests may use bench's tools (the live server, the fake printer, the proxy); not the
    other way round, and the product imports neither."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in _imported_names(path) if n.split(".")[0] in ("tests", "bench")
        )
        for package in (*PACKAGES, "bench")
        for path in (ROOT / package).rglob("*.py")
    }
    offenders = {
        path: [n for n in names if n.startswith("tests") or not path.startswith("bench")]
        for path, names in offenders.items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}
