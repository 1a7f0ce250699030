"""The packages import one another in one direction only: scripts -> (testbench, rtl) -> golden_model.

``golden_model`` is the reference everything else is checked against, so it imports nothing from the RTL,
the benches or the command line (nor Amaranth or cocotb); ``rtl`` does not import the benches or the command
line (nor cocotb); ``testbench`` does not import the command line. The files are read with :mod:`ast`, not
imported, so every ``import x`` and ``from x import y`` counts, relative ones and those inside functions
too. The project's modules also import one another without cycles (module-level imports only).
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("golden_model", "rtl", "testbench", "scripts")
# Top-level names each package must not import (its tests included).
FORBIDDEN = {
    "golden_model": {"rtl", "testbench", "scripts", "amaranth", "cocotb", "cocotb_tools"},
    "rtl": {"testbench", "scripts", "cocotb", "cocotb_tools"},
    "testbench": {"scripts"},
    "scripts": set(),
}
# Modules loaded by name rather than by an import statement, counted as module-level imports in the cycle
# check: building the ``mgd`` parser loads every ``scripts/cmd_*.py``, so those must not import scripts.cli.
LOADS_BY_NAME = {"scripts.cli": "scripts.cmd_"}


@dataclass(frozen=True)
class Import:
    path: str  # relative to the root, with /
    line: int
    text: str  # the statement as written
    target: str  # absolute dotted name: the module imported, or a module's submodule when one is named
    module_level: bool  # runs when the module is imported: not in a function, not under `if TYPE_CHECKING:`
    relative: bool = False

    def __str__(self) -> str:
        shown = f"{self.text}  [{self.target}]" if self.relative else self.text
        return f"{self.path}:{self.line}: {shown}"


def _files(root: Path) -> dict[str, Path]:
    """Module name -> file, for every .py file under the packages (``pkg/__init__.py`` is ``pkg``)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(root: Path, module: str, path: Path, known: set[str]) -> list[Import]:
    """Every import statement of one file, with its target resolved to an absolute module name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(root).as_posix()
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[Import] = []

    def add(node: ast.Import | ast.ImportFrom, target: str, module_level: bool) -> None:
        relative = isinstance(node, ast.ImportFrom) and node.level > 0
        found.append(Import(rel, node.lineno, ast.unparse(node), target, module_level, relative))

    def visit(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(node, alias.name, module_level)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = node.level - 1
                base = package[:len(package) - up] if up <= len(package) else []
                base_name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                base_name = node.module or ""
            for alias in node.names:
                sub = f"{base_name}.{alias.name}" if base_name else alias.name
                # `from pkg import sub` imports the submodule; `from mod import name` the module itself
                target = sub if (sub in known or not base_name) else base_name
                add(node, target, module_level)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            module_level = False
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, module_level)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, module_level)

    visit(tree, True)
    return found


def all_imports(root: Path) -> dict[str, list[Import]]:
    files = _files(root)
    known = set(files)
    return {module: imports_of(root, module, path, known) for module, path in files.items()}


def find_violations(root: Path) -> list[str]:
    """``file:line: statement`` of every import against scripts -> (testbench, rtl) -> golden_model."""
    bad = []
    for module, imports in all_imports(root).items():
        forbidden = FORBIDDEN[module.split(".")[0]]
        bad += [str(imp) for imp in imports if imp.target.split(".")[0] in forbidden]
    return bad


def find_cycles(root: Path) -> list[str]:
    """One cycle (``a -> b -> a`` with the import of each step) per group of modules that import one another
    at module level. An import of ``a.b.c`` counts as one of ``a.b.c``, not of the packages ``a``, ``a.b``."""
    imports = all_imports(root)
    known = set(imports)
    edges: dict[str, dict[str, Import]] = {m: {} for m in imports}
    for module, found in imports.items():
        for imp in found:
            if not imp.module_level:
                continue
            target = imp.target
            while target and target not in known:  # `import pkg.mod.name`-like: the module it lives in
                target = target.rpartition(".")[0]
            if target and target != module:
                edges[module].setdefault(target, imp)
    for loader, prefix in LOADS_BY_NAME.items():
        if loader in known:
            rel = _files(root)[loader].relative_to(root).as_posix()
            for target in sorted(m for m in known if m.startswith(prefix)):
                edges[loader].setdefault(target, Import(rel, 0, f"loads {prefix}* by name", target, True))

    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            connect(v)

    cycles = []
    for group in sorted(groups):
        start, members = group[0], set(group)
        path: list[str] = []
        previous: dict[str, str] = {}
        queue = deque([start])
        while queue:  # shortest way back to start within the group
            v = queue.popleft()
            if start in edges[v]:
                path = [start]
                while v != start:
                    path.append(v)
                    v = previous[v]
                path = [start, *reversed(path[1:]), start]
                break
            for w in edges[v]:
                if w in members and w not in previous and w != start:
                    previous[w] = v
                    queue.append(w)
        steps = []
        for a, b in zip(path, path[1:]):
            imp = edges[a][b]
            steps.append(f"{a} -> {b} ({imp.path}{f':{imp.line}' if imp.line else ''}: {imp.text})")
        cycles.append(" | ".join(steps))
    return cycles


# --- the project --------------------------------------------------------------------------------------------

def test_imports_follow_the_layers():
    bad = find_violations(ROOT)
    assert not bad, ("imports against scripts -> (testbench, rtl) -> golden_model (golden_model imports no "
                     "rtl/testbench/scripts/amaranth/cocotb, rtl no testbench/scripts/cocotb, testbench no "
                     "scripts):\n" + "\n".join(bad))


def test_no_import_cycles():
    cycles = find_cycles(ROOT)
    assert not cycles, "module-level import cycles:\n" + "\n".join(cycles)


def test_every_package_and_its_tests_are_read():
    files = _files(ROOT)
    assert set(PACKAGES) <= set(files)
    assert {"golden_model.tests", "scripts.tests", "scripts.tests.test_imports"} <= set(files)


# --- the checker itself, on planted trees -------------------------------------------------------------------

def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        for parent in path.relative_to(root).parents:
            if parent != Path(".") and not (root / parent / "__init__.py").exists():
                (root / parent / "__init__.py").write_text("")


def test_checker_reports_planted_wrong_imports(tmp_path):
    _tree(tmp_path, {
        "golden_model/bad.py": ("import numpy as np\n"
                                "from golden_model import errors\n"
                                "import rtl.lfsr\n"
                                "\n"
                                "def f():\n"
                                "    from scripts.cli import main\n"
                                "    import amaranth\n"),
        "golden_model/errors.py": "",
        "golden_model/tests/test_x.py": "from ..bad import f\nfrom .. import errors\n\nimport cocotb\n",
        "rtl/ok.py": "from golden_model import errors\nfrom . import ok\n",
        "rtl/sub/bad.py": "from ...testbench import cosim\nfrom ..ok import x\n",
        "testbench/ok.py": "import rtl.ok\nfrom golden_model.errors import E\n",
        "testbench/sim/bad.py": "if True:\n    from scripts.common import check_count as c\n",
        "scripts/ok.py": "import testbench.ok\nimport rtl\nimport golden_model\n",
    })
    assert sorted(find_violations(tmp_path)) == sorted([
        "golden_model/bad.py:3: import rtl.lfsr",
        "golden_model/bad.py:6: from scripts.cli import main",
        "golden_model/bad.py:7: import amaranth",
        "golden_model/tests/test_x.py:4: import cocotb",
        "rtl/sub/bad.py:1: from ...testbench import cosim  [testbench]",
        "testbench/sim/bad.py:2: from scripts.common import check_count as c",
    ])
    assert find_cycles(tmp_path) == []


def test_checker_reports_a_planted_cycle(tmp_path):
    _tree(tmp_path, {
        "scripts/a.py": "from scripts import b\n",
        "scripts/b.py": "import scripts.c.d\n",
        "scripts/c/d.py": "from ..a import name\n",
        "scripts/lazy.py": "def f():\n    import scripts.lazy2\n",
        "scripts/lazy2.py": "import scripts.lazy\n",
        "scripts/typing_only.py": ("from typing import TYPE_CHECKING\n"
                                   "if TYPE_CHECKING:\n    import scripts.t2\n"),
        "scripts/t2.py": "import scripts.typing_only\n",
        "golden_model/x.py": "",
        "rtl/x.py": "",
        "testbench/x.py": "",
    })
    assert find_cycles(tmp_path) == [
        "scripts.a -> scripts.b (scripts/a.py:1: from scripts import b) | "
        "scripts.b -> scripts.c.d (scripts/b.py:1: import scripts.c.d) | "
        "scripts.c.d -> scripts.a (scripts/c/d.py:1: from ..a import name)"]


def test_checker_counts_the_commands_cli_loads_by_name(tmp_path):
    """The cycle ``scripts.cli`` <-> ``scripts.cmd_*`` that ``UsageError`` living in scripts.cli made."""
    _tree(tmp_path, {
        "scripts/cli.py": "import importlib\n",
        "scripts/cmd_a.py": "from scripts.common import UsageError\n",
        "scripts/cmd_b.py": "from scripts.cli import UsageError\n",
        "scripts/common.py": "",
        "golden_model/x.py": "",
        "rtl/x.py": "",
        "testbench/x.py": "",
    })
    assert find_cycles(tmp_path) == [
        "scripts.cli -> scripts.cmd_b (scripts/cli.py: loads scripts.cmd_* by name) | "
        "scripts.cmd_b -> scripts.cli (scripts/cmd_b.py:1: from scripts.cli import UsageError)"]
