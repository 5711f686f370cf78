"""The package's shape: no import cycles (type-only imports count: a cycle through
``TYPE_CHECKING`` still means two modules that cannot be understood apart), no private name
imported from another module, and the layers' arrows (sip and crm know neither Qt nor each
other). Read from the source with ``ast``, so function-level imports count too."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "softphone"

# Cycles still being taken apart; each entry must disappear, none may be added.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*"):
        if path.suffix not in (".py", ".so") or ".venv" in path.parts:
            continue
        rel = path.relative_to(PACKAGE.parent)
        name = ".".join((*rel.parts[:-1], rel.name.split(".")[0]))
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        found[name] = path
    return found


def _imports(modules: dict[str, Path]) -> tuple[dict[str, set[str]], list[str]]:
    """module -> the package's modules it imports (anywhere in it); private names imported."""
    graph: dict[str, set[str]] = defaultdict(set)
    private: list[str] = []
    for name, path in modules.items():
        if path.suffix != ".py":
            continue
        is_package = path.name == "__init__.py"
        tree = ast.parse(path.read_text("utf-8"))
        aliases: dict[str, str] = {}  # local name -> the package's module it stands for
        for node in ast.walk(tree):
            wanted: list[tuple[str, str | None]] = []
            if isinstance(node, ast.Import):
                wanted = [(a.name, None) for a in node.names]
                aliases.update({a.asname: a.name for a in node.names
                                if a.asname and a.name in modules})
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".") if is_package else name.split(".")[:-1]
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    wanted.append((sub, None) if sub in modules else (base, alias.name))
                    if sub in modules:
                        aliases[alias.asname or alias.name] = sub
            for target, imported in wanted:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if not target.startswith("softphone") or target == name:
                    continue
                graph[name].add(target)
                if imported and imported.startswith("_") and not imported.startswith("__"):
                    private.append(f"{name} imports {target}.{imported}")
        private += _private_attributes(name, tree, aliases, modules)
    return graph, private


def _private_attributes(name: str, tree: ast.AST, aliases: dict[str, str],
                        modules: dict[str, Path]) -> list[str]:
    """``module._name`` (or ``package.module._name``) read through an imported module."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                and not node.attr.startswith("__")):
            continue
        chain: list[str] = []
        value = node.value
        while isinstance(value, ast.Attribute):
            chain.insert(0, value.attr)
            value = value.value
        if not isinstance(value, ast.Name):
            continue
        base = aliases.get(value.id, value.id if value.id == "softphone" else "")
        target = ".".join([base, *chain])
        if base and target in modules and target != name:
            found.append(f"{name} uses {target}.{node.attr} (line {node.lineno})")
    return found


def _cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    counter = 0
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.add(frozenset(component))
    return found


def test_no_new_import_cycles() -> None:
    graph, _ = _imports(_modules())
    cycles = _cycles(graph)
    new = [sorted(c) for c in cycles - KNOWN_CYCLES]
    assert not new, f"import cycles: {new}"
    gone = [sorted(c) for c in KNOWN_CYCLES - cycles]
    assert not gone, f"taken apart: remove from KNOWN_CYCLES: {gone}"


def test_no_private_names_imported_from_other_modules() -> None:
    """Neither ``from x import _name`` nor ``x._name`` across modules: a private name is
    the module's own to change."""
    _, private = _imports(_modules())
    assert not private, "\n".join(private)


def test_sip_and_crm_know_neither_qt_nor_each_other() -> None:
    for package, forbidden in (("sip", ("PySide6", "softphone.crm", "softphone.ui")),
                               ("crm", ("PySide6", "softphone.sip", "softphone.ui"))):
        for path in (PACKAGE / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) and
                         not node.level else [])
                bad = [n for n in names if n.startswith(forbidden)]
                assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


MAX_CLASS_LINES = 500
# Classes still over the limit, with the size they may not grow beyond; each entry must
# shrink and disappear, none may be added.
KNOWN_LARGE: dict[str, int] = {}


def _class_sizes() -> dict[str, int]:
    sizes = {}
    for name, path in _modules().items():
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                sizes[f"{name}.{node.name}"] = node.end_lineno - node.lineno + 1
    return sizes


def test_no_class_over_500_lines() -> None:
    """A class that big is several objects sharing one ``self``: split it."""
    sizes = _class_sizes()
    largest = ", ".join(f"{n} {s}" for n, s in sorted(sizes.items(), key=lambda i: -i[1])[:8])
    over = {n: s for n, s in sizes.items()
            if s > max(MAX_CLASS_LINES, KNOWN_LARGE.get(n, 0))}
    assert not over, f"classes over {MAX_CLASS_LINES} lines: {over} (largest: {largest})"
    shrunk = [n for n, s in KNOWN_LARGE.items() if sizes.get(n, 0) <= MAX_CLASS_LINES]
    assert not shrunk, f"no longer over the limit: remove from KNOWN_LARGE: {shrunk}"


def test_the_tests_use_no_private_names_of_the_product() -> None:
    """The tests drive what a module offers; a private helper worth a test is public."""
    modules = _modules()
    found: list[str] = []
    for path in PACKAGE.parent.joinpath("tests").rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                aliases.update({a.asname or a.name: a.name for a in node.names
                                if a.name in modules})
            elif isinstance(node, ast.ImportFrom) and (node.module or "") in modules:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    if sub in modules:
                        aliases[alias.asname or alias.name] = sub
                    elif alias.name.startswith("_") and not alias.name.startswith("__") \
                            and not sub.endswith(("._native", "._opus")):  # C modules
                        found.append(f"{path.name} imports {sub}")
        found += _private_attributes(path.name, tree, aliases, modules)
    assert not found, "\n".join(found)


# Product modules (not ui/: tests/ui drives those) that no unit test imports yet: most are
# driven by integration tests against real parts (a database, servers, processes), which is
# not the same as a unit test of their logic. Each entry must disappear; none may be added.
KNOWN_WITHOUT_UNIT_TESTS: frozenset[str] = frozenset()


def _unit_tested() -> set[str]:
    """Modules a unit test imports, or whose name a unit test module carries (test_io_csv.py
    drives io_csv.py through crm/io.py)."""
    modules = _modules()
    imported: set[str] = set()
    for path in PACKAGE.parent.joinpath("tests", "unit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"{node.module}.{a.name}" for a in node.names]
            for target in names:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target:
                    imported.add(target)
    mirrored = {path.stem.removeprefix("test_")
                for path in PACKAGE.parent.joinpath("tests", "unit").rglob("test_*.py")}
    return imported | {name for name in modules if name.rpartition(".")[2] in mirrored}


def test_every_product_module_has_unit_tests() -> None:
    """Tests mirror the package: a module with logic has a unit test module driving it."""
    tested = _unit_tested()
    wanted = {name for name, path in _modules().items()
              if path.suffix == ".py" and path.name != "__init__.py"
              and not name.startswith("softphone.ui") and ".migrations." not in name
              and not name.endswith(("__main__", "_build"))}
    missing = sorted(wanted - tested - KNOWN_WITHOUT_UNIT_TESTS)
    assert not missing, f"modules no unit test imports: {missing}"
    done = sorted(KNOWN_WITHOUT_UNIT_TESTS & tested)
    assert not done, f"unit-tested now: remove from KNOWN_WITHOUT_UNIT_TESTS: {done}"
