"""Import hygiene, read from the source with ast (nothing is imported): no cycles among module-level
imports, no private names taken from another part of the package, argparse only in avatar.cli; and
that importing the package or its command line does not load the heavy libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "avatar"
HEAVY = ("torch", "fastapi", "onnxruntime")  # seconds to import; only the commands that run models need them


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (both modules of the package) at ``line`` of the source file."""

    source: str
    target: str
    line: int
    lazy: bool  # inside a function: runs when called, not when the module is imported
    typing: bool  # under `if TYPE_CHECKING:`: never runs


@dataclass
class Imports:
    """What one module imports."""

    edges: list[Edge] = field(default_factory=list)
    names: list[tuple[str, str, int, bool]] = field(default_factory=list)  # (module, name, line, lazy)
    externals: list[tuple[str, int, bool]] = field(default_factory=list)  # (top-level name, line, lazy)


def _ancestors(name: str) -> list[str]:
    """'avatar.a.b' -> ['avatar', 'avatar.a']: the packages whose __init__ runs before it."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


@cache
def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Module name -> file, for every .py under ``package`` (a package's file is its __init__.py)."""
    found: dict[str, Path] = {}
    # x/__init__.py sorts before x.py: the package wins, as in Python
    for path in sorted(package.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = path.relative_to(package.parent).with_suffix("").parts
        found.setdefault(".".join(parts[:-1] if parts[-1] == "__init__" else parts), path)
    return found


class _Visitor(ast.NodeVisitor):
    def __init__(self, source: str, known: dict[str, Path]) -> None:
        self.source, self.known = source, known
        self.top = source.split(".")[0]
        self.is_package = known[source].name == "__init__.py"
        self.running = {*_ancestors(source), source}  # already being imported when this module runs
        self.depth = 0  # functions we are inside
        self.typing = 0  # `if TYPE_CHECKING:` blocks we are inside
        self.found = Imports()

    def _edge(self, target: str, line: int, *, implicit: bool = False) -> None:
        if target in self.known and target != self.source and not (implicit and target in self.running):
            self.found.edges.append(Edge(self.source, target, line, self.depth > 0, self.typing > 0))

    def _imported(self, module: str, line: int) -> None:
        """Importing ``module`` runs its packages' __init__ first, then the module itself."""
        for target in [*_ancestors(module), module]:
            self._edge(target, line, implicit=True)

    def _resolve(self, node: ast.ImportFrom) -> str:
        if node.level == 0:
            return node.module or ""
        base = self.source.split(".")[: None if self.is_package else -1]  # a module starts from its package
        base = base[: len(base) - (node.level - 1)]
        return ".".join([*base, node.module] if node.module else base)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 (ast.NodeVisitor's naming)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        guarded = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        )
        self.typing += guarded
        for child in node.body:
            self.visit(child)
        self.typing -= guarded
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name.split(".")[0] == self.top:
                self._imported(alias.name, node.lineno)
            else:
                self.found.externals.append((alias.name.split(".")[0], node.lineno, self.depth > 0))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = self._resolve(node)
        if module.split(".")[0] != self.top:
            self.found.externals.append((module.split(".")[0], node.lineno, self.depth > 0))
            return
        self._imported(module, node.lineno)
        for alias in node.names:
            if f"{module}.{alias.name}" in self.known:
                self._edge(f"{module}.{alias.name}", node.lineno)  # a submodule
            else:
                self._edge(module, node.lineno)  # a name the module (or the package's __init__) defines
                self.found.names.append((module, alias.name, node.lineno, self.depth > 0))


@cache
def scan(package: Path = PACKAGE) -> dict[str, Imports]:
    """Module name -> what it imports, for every module of ``package``."""
    known = modules(package)
    found = {}
    for name, path in known.items():
        visitor = _Visitor(name, known)
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        found[name] = visitor.found
    return found


def _where(name: str, line: int, package: Path) -> str:
    return f"{modules(package)[name].relative_to(package.parent)}:{line}"


def _part(name: str) -> str:
    """The top-level part of the package a module belongs to: 'avatar.data.text' -> 'data'."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def import_cycles(package: Path = PACKAGE) -> list[str]:
    """One cycle of module-level imports per strongly connected group of modules, as text."""
    graph: dict[str, list[Edge]] = {name: [] for name in modules(package)}
    for imports in scan(package).values():
        for edge in imports.edges:
            if not (edge.lazy or edge.typing):
                graph[edge.source].append(edge)
    # Tarjan's strongly connected components, iteratively.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, edges = work[-1]
            edge = next(edges, None)
            if edge is not None:
                if edge.target not in index:
                    index[edge.target] = low[edge.target] = len(index)
                    stack.append(edge.target)
                    work.append((edge.target, iter(graph[edge.target])))
                elif edge.target in stack:
                    low[node] = min(low[node], index[edge.target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set(stack[stack.index(node) :])
                del stack[stack.index(node) :]
                if len(group) > 1:
                    groups.append(group)
    return [_show(_cycle_in(group, graph), package) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, list[Edge]]) -> list[Edge]:
    """A shortest cycle through the group's first module (breadth-first, inside the group)."""
    start = min(group)
    came: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph[node]:
                if edge.target not in group or edge.target in came:
                    continue
                came[edge.target] = edge
                if edge.target == start:
                    path = [edge]
                    while path[0].source != start:
                        path.insert(0, came[path[0].source])
                    return path
                following.append(edge.target)
        frontier = following
    raise AssertionError(f"no cycle in {group}")  # a strongly connected group always has one


def _show(cycle: list[Edge], package: Path) -> str:
    steps = [f"{e.source} ({_where(e.source, e.line, package)})" for e in cycle]
    return " -> ".join([*steps, cycle[-1].target])


def private_imports(package: Path = PACKAGE) -> list[str]:
    """Private names (and modules) one top-level part of the package imports from another."""
    found = []
    for name, imports in scan(package).items():
        for module, imported, line, lazy in imports.names:
            private = imported.startswith("_") and not (imported.startswith("__") and imported.endswith("__"))
            if private and _part(module) != _part(name):
                where = _where(name, line, package)
                found.append(f"{where}: {imported} from {module}{' (lazy)' if lazy else ''}")
        for edge in imports.edges:
            hidden = any(p.startswith("_") and not p.startswith("__") for p in edge.target.split("."))
            if hidden and _part(edge.target) != _part(name):
                found.append(f"{_where(name, edge.line, package)}: private module {edge.target}")
    return sorted(set(found))


def argparse_outside_cli(package: Path = PACKAGE) -> list[str]:
    cli = f"{package.name}.cli"
    return [
        _where(name, line, package)
        for name, imports in scan(package).items()
        for top, line, _ in imports.externals
        if top == "argparse" and not (name == cli or name.startswith(cli + "."))
    ]


def test_the_checks_find_what_they_look_for(tmp_path):
    """The checks on a made-up package holding one of each fault (and things that are not faults)."""
    files = {
        "__init__.py": "from .core import run\n",
        "core.py": "from .tools import helper\ndef run():\n    from .tools import late  # lazy: no cycle\n",
        "tools/__init__.py": "from .a import helper\n",
        "tools/a.py": "import pkg.tools.b\nfrom ..core import run\nhelper = late = 1\n",
        "tools/b.py": "from . import a\nimport typing\nif typing.TYPE_CHECKING:\n    from ..core import f\n",
        "tools/_hidden.py": "",
        "cli/__init__.py": "import argparse\nfrom ..tools import _secret\n",
        "other.py": "import argparse\nfrom .tools import _hidden\ndef f():\n    from .tools.a import _x\n",
        "again.py": "from .tools import a\nfrom . import other\nfrom .other import _mine\n",
    }
    package = tmp_path / "pkg"
    for name, text in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(textwrap.dedent(text))

    edges = {
        (e.source, e.target, e.lazy, e.typing) for imports in scan(package).values() for e in imports.edges
    }
    assert ("pkg.tools.b", "pkg.tools.a", False, False) in edges  # `from . import a`: a submodule
    assert ("pkg.tools.b", "pkg.tools", False, False) not in edges  # its own package is already running
    assert ("pkg.tools.a", "pkg.tools.b", False, False) in edges  # absolute `import pkg.tools.b`
    assert ("pkg.core", "pkg.tools", True, False) in edges  # lazy, inside run()
    assert ("pkg.tools.b", "pkg.core", False, True) in edges  # type-checking only
    assert ("pkg.again", "pkg.tools", False, False) in edges  # `from .tools import a` runs tools/__init__.py
    # core -> tools (its __init__) -> tools.a -> core; the lazy and typing edges close no other
    assert import_cycles(package) == [
        "pkg.core (pkg/core.py:1) -> pkg.tools (pkg/tools/__init__.py:1) -> pkg.tools.a (pkg/tools/a.py:2)"
        " -> pkg.core"
    ]
    assert private_imports(package) == [
        "pkg/again.py:3: _mine from pkg.other",  # a top-level module is a part of its own
        "pkg/cli/__init__.py:2: _secret from pkg.tools",
        "pkg/other.py:2: private module pkg.tools._hidden",
        "pkg/other.py:4: _x from pkg.tools.a (lazy)",
    ]
    assert argparse_outside_cli(package) == ["pkg/other.py:1"]


def test_no_module_is_shadowed():
    """A module beside a package of the same name (x.py next to x/) is never imported: dead code."""
    both = [
        str(path.relative_to(PACKAGE.parent))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py" and (path.with_suffix("") / "__init__.py").exists()
    ]
    assert not both, f"shadowed by a package of the same name: {', '.join(both)}"


def test_no_import_cycles():
    cycles = import_cycles()
    assert not cycles, "import cycles among module-level imports:\n" + "\n".join(cycles)


def test_no_private_names_across_parts():
    """``from ..cli import _config`` inside avatar/data: a private name is its own part's business."""
    found = private_imports()
    assert not found, "private names imported from another part of avatar:\n" + "\n".join(found)


def test_argparse_only_in_the_command_line():
    found = argparse_outside_cli()
    assert not found, "argparse outside avatar/cli/:\n" + "\n".join(found)


def _loaded_after(code: str) -> list[str]:
    """The HEAVY libraries in sys.modules after running ``code`` in a fresh interpreter."""
    probe = f"import sys\n{code}\nprint('loaded:', *[m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()[1:]


def test_importing_the_package_and_its_command_line_is_light():
    assert _loaded_after("import avatar") == []
    assert _loaded_after("import avatar.cli") == []
    for flag in ("--version", "--help"):  # what `avatar --version` and `avatar --help` run
        code = f"from avatar.cli import main\ntry:\n    main([{flag!r}])\nexcept SystemExit:\n    pass"
        assert _loaded_after(code) == [], flag
    assert _loaded_after("import torch") == ["torch"]  # the probe sees an import when there is one
