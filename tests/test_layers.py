"""The imports of ``sodbench/`` and ``minet_ref/`` point one way (docs/architecture.md).

Every ``.py`` file is parsed with :mod:`ast`; nothing is imported. Three rules, each test
listing every offending ``file:line`` at once:

- **no import cycle.** Imports count wherever they are written, inside functions too (a
  function-level import hides a cycle, it does not remove it). Imports under
  ``if TYPE_CHECKING:`` never run, so they cannot form a runtime cycle and are left out of
  this rule only. ``from pkg import name`` points at the module ``pkg.name`` when that file
  exists, else at ``pkg``; ``import a.b`` points at ``a.b`` alone, not at the ``a``
  package's ``__init__`` (which Python runs first, but which only re-exports its children).
- **no upward import.** Each module belongs to one layer of :data:`LAYERS` and may import its
  own layer and the layers listed beside it; ``TYPE_CHECKING`` imports count here (an
  annotation is a dependency too). ``sodbench/__init__.py`` is a lazy loader that names
  modules in strings: it is exempt, must import nothing heavy, and ``from sodbench import
  Evaluator`` elsewhere counts as an import of the module its table names.
- **no import of another module's private name:** ``from x import _name`` or
  ``alias._name`` (``alias`` bound to a sodbench/minet_ref module) where ``x`` is another
  module, and ``import a._b`` / ``from a import _b`` / ``from a._b import c`` from outside
  package ``a``.
"""

from __future__ import annotations

import ast
import textwrap
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOP_PACKAGES = ("sodbench", "minet_ref")

# The rank table, lowest first: layer -> (module-name prefixes, the other layers it may
# import). profiling and minet_ref stand beside the metrics <- evaluator <- folders stack;
# minet_ref may use the evaluator (minet_ref/train.py scores its validation set with it), and
# profiling may load minet_ref (``sodbench profile minet`` profiles the bundled model).
LAYERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "base": (("sodbench.errors", "sodbench.workers"), ()),
    "metrics": (("sodbench.metrics",), ("base",)),
    "evaluator": (("sodbench.evaluator",), ("base", "metrics")),
    "folders": (("sodbench.folders",), ("base", "metrics", "evaluator")),
    "minet_ref": (("minet_ref",), ("base", "metrics", "evaluator", "folders")),
    "profiling": (("sodbench.profiling",),
                  ("base", "metrics", "evaluator", "folders", "minet_ref")),
    "reports": (("sodbench.reports",),
                ("base", "metrics", "evaluator", "folders", "profiling", "minet_ref")),
    "demo": (("sodbench.demo",),
             ("base", "metrics", "evaluator", "folders", "profiling", "minet_ref", "reports")),
    "cli": (("sodbench.cli",),
            ("base", "metrics", "evaluator", "folders", "profiling", "minet_ref", "reports",
             "demo")),
}
LAZY_LOADER = "sodbench"  # sodbench/__init__.py: exempt, resolved through its _LAZY table
LIGHT_IMPORTS = {"__future__", "importlib", "typing"}  # all sodbench/__init__.py may import


@dataclass(frozen=True)
class Import:
    """One imported module: ``source`` imports ``target`` at ``path:line``."""

    source: str
    target: str
    where: str  # file:line, the file relative to the scanned root
    type_checking: bool


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def find_modules(root: Path, packages=TOP_PACKAGES) -> dict[str, Path]:
    """Dotted module name -> file relative to ``root``, for every ``.py`` of ``packages``."""
    modules = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            path = path.relative_to(root)
            parts = list(path.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _lazy_table(root: Path, modules: dict[str, Path]) -> dict[str, str]:
    """``sodbench/__init__.py``'s ``_LAZY`` dict literal: public name -> module name."""
    if LAZY_LOADER not in modules:
        return {}
    for node in ast.parse((root / modules[LAZY_LOADER]).read_text()).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in targets):
            return ast.literal_eval(node.value)
    return {}


class _ImportVisitor(ast.NodeVisitor):
    """The imports of one module, the module aliases it binds and its private accesses."""

    def __init__(self, name: str, modules: dict[str, Path], lazy: dict[str, str]):
        self.name, self.modules, self.lazy = name, modules, lazy
        self.file = modules[name]
        self.package = name if self.file.name == "__init__.py" else name.rpartition(".")[0]
        self.tops = {module.split(".")[0] for module in modules}
        self.imports: list[Import] = []
        self.private: list[str] = []
        self.aliases: dict[str, str] = {}
        self._type_checking = False

    def _internal(self, module: str) -> bool:
        return module.split(".")[0] in self.tops

    def _known(self, module: str) -> str:
        """``module`` or its longest prefix that is a file here."""
        while module and module not in self.modules:
            module = module.rpartition(".")[0]
        return module

    def _add(self, target: str, node: ast.AST) -> None:
        self.imports.append(Import(self.name, target, f"{self.file}:{node.lineno}",
                                   self._type_checking))
        self._check_private_path(target, node)

    def _flag(self, node: ast.AST, what: str) -> None:
        self.private.append(f"{self.file}:{node.lineno}: {self.name} {what}")

    def _check_private_path(self, target: str, node: ast.AST) -> None:
        parts = target.split(".")
        for index, part in enumerate(parts):
            owner = ".".join(parts[:index])
            if _is_private(part) and not (self.name == owner
                                          or self.name.startswith(owner + ".")):
                self._flag(node, f"imports private module {target} from outside {owner}")
                return

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name != "TYPE_CHECKING":
            self.generic_visit(node)
            return
        self._type_checking = True
        for child in node.body:
            self.visit(child)
        self._type_checking = False
        for child in node.orelse:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not self._internal(alias.name):
                continue
            target = self._known(alias.name)
            if target:
                self._add(target, node)
            bound = alias.name if alias.asname else alias.name.split(".")[0]
            self.aliases[alias.asname or bound] = self._known(bound)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module or ""
        if not self._internal(source):
            return
        for alias in node.names:
            child = f"{source}.{alias.name}"
            if child in self.modules:
                self._add(child, node)
                self.aliases[alias.asname or alias.name] = child
                continue
            if source == LAZY_LOADER and alias.name in self.lazy:
                self._add(self.lazy[alias.name], node)
                continue
            target = self._known(source)
            if target:
                self._add(target, node)
            if _is_private(alias.name) and target != self.name:
                self._flag(node, f"imports private name {alias.name} from {source}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain, base = [], node
        while isinstance(base, ast.Attribute):
            chain.append(base.attr)
            base = base.value
        if isinstance(base, ast.Name) and base.id in self.aliases:
            module = self.aliases[base.id]
            for attr in reversed(chain):
                if f"{module}.{attr}" in self.modules:
                    module = f"{module}.{attr}"
                    self._check_private_path(module, node)
                    continue
                if _is_private(attr) and module != self.name:
                    self._flag(node, f"uses private name {module}.{attr}")
                break
            return  # the inner Attribute nodes are the same chain, already walked
        self.generic_visit(node)


def scan(root: Path, packages=TOP_PACKAGES):
    """(modules, every import, private-name violations) of the packages under ``root``."""
    modules = find_modules(root, packages)
    lazy = _lazy_table(root, modules)
    imports, private = [], []
    for name, path in modules.items():
        visitor = _ImportVisitor(name, modules, lazy)
        visitor.visit(ast.parse((root / path).read_text(), filename=str(path)))
        imports += [i for i in visitor.imports if i.target != name]
        private += visitor.private
    return modules, imports, private


def layer_of(module: str, layers=LAYERS) -> str | None:
    """The layer whose longest prefix names ``module`` (None: in no layer)."""
    best, length = None, -1
    for layer, (prefixes, _) in layers.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = layer, len(prefix)
    return best


def upward_imports(modules, imports, layers=LAYERS, loader=LAZY_LOADER) -> list[str]:
    """One line per import of a layer its importer may not use, and per module in no layer
    (``loader``, the top package's ``__init__``, is exempt)."""
    problems = [f"{path}: {name} is in no layer of LAYERS"
                for name, path in modules.items()
                if name != loader and layer_of(name, layers) is None]
    for imp in imports:
        if loader in (imp.source, imp.target):
            continue
        source, target = layer_of(imp.source, layers), layer_of(imp.target, layers)
        if None in (source, target) or source == target or target in layers[source][1]:
            continue
        problems.append(f"{imp.where}: {imp.source} ({source}) imports {imp.target} ({target})")
    return problems


def _shortest_cycle(start: str, graph: dict[str, dict[str, Import]]) -> list[Import]:
    """The fewest imports leading from ``start`` back to it (breadth first), or []."""
    previous: dict[str, Import] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target, imp in sorted(graph.get(node, {}).items()):
            if target in previous:
                continue
            previous[target] = imp
            if target == start:
                path = [imp]
                while path[-1].source != start:
                    path.append(previous[path[-1].source])
                return path[::-1]
            queue.append(target)
    return []


def import_cycles(imports) -> list[str]:
    """One line per cycle, each step with the file:line of its import: the shortest cycle
    through each module, unless its imports are all in cycles already listed."""
    graph: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if not imp.type_checking:
            graph.setdefault(imp.source, {}).setdefault(imp.target, imp)
    lines, covered = [], set()
    for start in sorted(graph):
        cycle = _shortest_cycle(start, graph)
        edges = {(imp.source, imp.target) for imp in cycle}
        if edges <= covered:
            continue
        covered |= edges
        lines.append(" -> ".join([start] + [f"{i.target} ({i.where})" for i in cycle]))
    return lines


def heavy_loader_imports(root: Path, modules) -> list[str]:
    """Module-level imports of ``sodbench/__init__.py`` beyond :data:`LIGHT_IMPORTS`."""
    if LAZY_LOADER not in modules:
        return []
    path = modules[LAZY_LOADER]
    problems = []
    for node in ast.parse((root / path).read_text()).body:
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ["." * node.level + (node.module or "")]
        else:
            continue
        problems += [f"{path}:{node.lineno}: imports {name} at module level"
                     for name in names if name not in LIGHT_IMPORTS]
    return problems


@pytest.fixture(scope="module")
def project():
    return scan(ROOT)


def _report(problems: list[str], title: str) -> None:
    assert not problems, f"{len(problems)} {title}:\n" + "\n".join(sorted(problems))


def test_no_import_cycles(project):
    _, imports, _ = project
    _report(import_cycles(imports), "import cycle(s)")


def test_imports_point_down(project):
    modules, imports, _ = project
    _report(upward_imports(modules, imports), "upward import(s)")


def test_no_private_imports(project):
    _report(project[2], "import(s) of another module's private name")


def test_lazy_loader_stays_light(project):
    modules, _, _ = project
    _report(heavy_loader_imports(ROOT, modules), "heavy import(s) in sodbench/__init__.py")


def test_rank_table_points_down():
    order = list(LAYERS)
    for rank, (layer, (_, allowed)) in enumerate(LAYERS.items()):
        assert set(allowed) <= set(order[:rank]), f"{layer} may import a higher layer"


# The checker itself, on synthetic packages: each rule demonstrably fails.

SYNTHETIC_LAYERS = {
    "low": (("pkg.low",), ()),
    "high": (("pkg.high",), ("low",)),
}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _scan(tmp_path: Path, files: dict[str, str]):
    return scan(_write(tmp_path, files), packages=("pkg",))


def test_checker_finds_a_cycle_hidden_in_a_function(tmp_path):
    _, imports, _ = _scan(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low/__init__.py": "from pkg.low.a import f\n",
        "pkg/low/a.py": "def f():\n    from pkg.low import b\n    return b\n",
        "pkg/low/b.py": "from .a import f\n",
    })
    cycles = import_cycles(imports)
    assert cycles == ["pkg.low.a -> pkg.low.b (pkg/low/a.py:2) -> pkg.low.a (pkg/low/b.py:1)"]


def test_checker_ignores_init_reexports_and_type_checking(tmp_path):
    _, imports, _ = _scan(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low/__init__.py": "from pkg.low.a import f\nfrom pkg.low.b import g\n",
        "pkg/low/a.py": "from pkg.low import b\ndef f():\n    return b.g()\n",
        "pkg/low/b.py": ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                         "    from pkg.low.a import f\ndef g():\n    return 1\n"),
    })
    assert import_cycles(imports) == []


def test_checker_finds_an_upward_import(tmp_path):
    modules, imports, _ = _scan(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low/__init__.py": "",
        "pkg/low/a.py": "import pkg.high.b as b\n",
        "pkg/high/__init__.py": "",
        "pkg/high/b.py": "from ..low import a\n",
        "pkg/stray.py": "",
    })
    problems = upward_imports(modules, imports, SYNTHETIC_LAYERS, loader="pkg")
    assert sorted(problems) == [
        "pkg/low/a.py:1: pkg.low.a (low) imports pkg.high.b (high)",
        "pkg/stray.py: pkg.stray is in no layer of LAYERS",
    ]


def test_checker_finds_private_imports(tmp_path):
    _, _, private = _scan(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/low/__init__.py": "from pkg.low._impl import run\n",
        "pkg/low/_impl.py": "def run():\n    return _helper()\ndef _helper():\n    return 1\n",
        "pkg/low/a.py": "from ._impl import _helper\n",
        "pkg/high/__init__.py": "",
        "pkg/high/b.py": ("from pkg.low import _impl\nimport pkg.low.a as a\n"
                          "def f():\n    return a._secret + a.public\n"),
    })
    assert sorted(line.split(": ", 1)[1] for line in private) == [
        "pkg.high.b imports private module pkg.low._impl from outside pkg.low",
        "pkg.high.b uses private name pkg.low.a._secret",
        "pkg.low.a imports private name _helper from pkg.low._impl",
    ]
