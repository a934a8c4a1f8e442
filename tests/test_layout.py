"""Rules about the code itself: only the clock module reads the system time (SPEC §8)."""

from __future__ import annotations

import ast
import copy
import functools
import sys
from pathlib import Path
from typing import Final

import pytest

import kernel

PACKAGE = Path(kernel.__file__).parent
RUNTIME_MODULES = sorted(
    p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] != "bench"
)
TIME_READERS = {"time", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns", "sleep"}


@pytest.mark.parametrize("path", RUNTIME_MODULES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_only_the_clock_module_reads_system_time(path: Path) -> None:
    """SPEC §8: time is injected; only kernel/_core/clock.py touches the time module.

    (kernel/bench/ measures wall and CPU time on purpose and is not part of the runtime.)
    """
    if path == PACKAGE / "_core" / "clock.py":
        return
    tree = parsed(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert all(alias.name != "time" for alias in node.names), path.name
        elif isinstance(node, ast.ImportFrom):
            assert node.module != "time", path.name
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert not (node.value.id == "time" and node.attr in TIME_READERS), path.name


def test_clock_module_is_the_one_that_reads_time() -> None:
    assert "time.monotonic" in (PACKAGE / "_core" / "clock.py").read_text(encoding="utf-8")


# -- the package's shape (issue #7): who may import whom, and no private reach-through -------------

CORE = PACKAGE / "_core"
ALL_MODULES = sorted(PACKAGE.rglob("*.py"))
CORE_THIRD_PARTY: Final = frozenset({"blinker", "sortedcontainers", "typing_extensions"})
"""The only packages outside the standard library that kernel/_core may import."""
FACADES: Final = frozenset({"kernel"})
"""Modules outside _core that may import kernel._core: the public façade, kernel/__init__.py."""
LEAVES: Final = ("kernel.bench", "kernel.demo", "kernel.__main__")
"""Nothing outside these packages imports them (the benchmarks and the demo application)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: Final = {module_name(path): path for path in ALL_MODULES}


@functools.cache
def parsed(path: Path) -> ast.Module:
    """The syntax tree of `path`, parsed once for all the rules below (read it, never change it)."""
    return ast.parse(path.read_text(encoding="utf-8"))


PRIVATE_ACCESS_ALLOWED: Final[dict[str, frozenset[str]]] = {
    # The stdlib's documented way to read another thread's stack (the stall watchdog's job).
    "kernel._core.watchdog": frozenset({"_current_frames"}),
}
"""Cross-module underscore accesses still allowed, by accessing module. Keep it shrinking."""

RUNTIME: Final = "kernel._core.runtime"
RUNTIME_FACETS: Final = tuple(sorted(n for n in MODULES if n.startswith("kernel._core.runtime_")))
"""The modules of `Runtime`'s facet mixins (kernel/_core/runtime_*.py): one class split by job.

A facet reaches the runtime's parts only through ``self`` (which the rule below allows anyway) and
declares them as annotations without a value; runtime.py may name a facet's private methods (the
phase table names ``Runtime._stop``). Nothing else in the package gets that allowance, and
`test_runtime_facets_declare_only_runtime_fields` keeps a facet's declarations to fields the
runtime really has, so a declaration cannot open another class's private names to a facet."""


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in the file (TYPE_CHECKING blocks included).

    ``from package import name`` counts as an import of ``package.name`` when that is a module of
    kernel, else of ``package``; parent packages imported implicitly do not count.
    """
    found: set[str] = set()
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            assert node.module is not None
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


def test_imported_modules_resolves_submodules_and_names(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text("import os.path\nfrom kernel.bench import timers\nfrom kernel import Task\n")
    assert imported_modules(source) == {"os.path", "kernel.bench.timers", "kernel"}


@pytest.mark.parametrize("path", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_imports_only_stdlib_its_three_packages_and_itself(path: Path) -> None:
    for name in imported_modules(path):
        top = name.split(".")[0]
        if top == "kernel":
            assert name.startswith("kernel._core."), f"{path.name} imports {name}"
        else:
            assert top in sys.stdlib_module_names or top in CORE_THIRD_PARTY, (
                f"{path.name} imports {name}"
            )


@pytest.mark.parametrize("path", [p for p in ALL_MODULES if CORE not in p.parents], ids=module_name)
def test_outside_core_only_the_facade_imports_core(path: Path) -> None:
    if module_name(path) in FACADES:
        return
    core = sorted(n for n in imported_modules(path) if n.startswith("kernel._core"))
    assert core == [], f"{module_name(path)} imports {core}; use the public façade `kernel`"


@pytest.mark.parametrize("path", ALL_MODULES, ids=module_name)
def test_nothing_imports_the_leaves(path: Path) -> None:
    me = module_name(path)
    for name in imported_modules(path):
        for leaf in LEAVES:
            if name == leaf or name.startswith(leaf + "."):
                assert me == leaf or me.startswith(leaf + "."), f"{me} imports {name}"


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in `graph` as a list of nodes (first == last), or None. Depth-first, iterative."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(graph):
        if root in state:
            continue
        path = [root]
        stack = [iter(sorted(graph[root]))]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b", "c"}, "b": set(), "c": {"d"}, "d": {"c"}}, ["c", "d", "c"]),
    ],
    ids=["chain", "pair", "deep"],
)
def test_find_cycle(graph: dict[str, set[str]], cycle: list[str] | None) -> None:
    assert find_cycle(graph) == cycle


def test_no_import_cycles_in_kernel() -> None:
    """Imports under TYPE_CHECKING count too: a cycle there is a design cycle all the same."""
    graph = {
        name: {n for n in imported_modules(path) if n in MODULES and n != name}
        for name, path in MODULES.items()
    }
    assert find_cycle(graph) is None


def private_names_defined(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(underscore names a module defines, those declared in its Protocol classes)."""
    defined: set[str] = set()
    declared: set[str] = set()
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        is_protocol = any(ast.unparse(base).endswith("Protocol") for base in cls.bases)
        for node in cls.body:
            names: list[str] = []
            if isinstance(node, ast.FunctionDef):
                names = [node.name]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if names == ["__slots__"] and isinstance(node.value, ast.Tuple):
                    names = [
                        e.value
                        for e in node.value.elts
                        if isinstance(e, ast.Constant) and isinstance(e.value, str)
                    ]
            defined.update(names)
            if is_protocol:
                declared.update(names)
    for any_node in ast.walk(tree):
        targets: list[ast.expr | None] = []
        if isinstance(any_node, ast.Assign):
            targets = list(any_node.targets)
        elif isinstance(any_node, ast.AnnAssign | ast.AugAssign):
            targets = [any_node.target]
        for t in targets:
            if isinstance(t, ast.Attribute) and ast.unparse(t.value) == "self":
                defined.add(t.attr)
    return defined, declared


def private_accesses(tree: ast.Module) -> list[tuple[int, str, str]]:
    """``(line, expression, name)`` for each ``x._name`` where x is not self, cls or super()."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_"):
            continue
        if node.attr.startswith("__") and node.attr.endswith("__"):
            continue  # dunder names are the language's, not a module's
        owner = ast.unparse(node.value)
        if owner in ("self", "cls", "super()"):
            continue
        found.append((node.lineno, ast.unparse(node), node.attr))
    return found


def test_private_accesses_finds_reach_through() -> None:
    tree = ast.parse("x._a\nself._b\ncls._c\nsuper()._d()\nx.__class__\nself.y._e = 1\n")
    assert [name for _, _, name in private_accesses(tree)] == ["_a", "_e"]


def test_protocol_declarations_count_as_an_interface() -> None:
    tree = ast.parse(
        "class P(Protocol):\n    def _go(self) -> None: ...\n"
        "class C:\n    __slots__ = ('_s',)\n    def __init__(self):\n        self._t = 1\n"
    )
    assert private_names_defined(tree) == ({"_go", "_s", "_t", "__init__"}, {"_go"})


def test_no_module_reaches_into_another_modules_private_names() -> None:
    """``x._name`` is allowed only for a name the same module defines (its own classes), a name
    declared by a `Protocol` of kernel/_core (an explicit internal interface, e.g. `WorkOwner`),
    an entry of `PRIVATE_ACCESS_ALLOWED`, or, in runtime.py only, a name one of `Runtime`'s facet
    modules defines (`RUNTIME_FACETS`)."""
    trees = {name: parsed(path) for name, path in MODULES.items()}
    interface: set[str] = set()
    for name, tree in trees.items():
        if name.startswith("kernel._core"):
            interface |= private_names_defined(tree)[1]
    offences = []
    for name, tree in trees.items():
        own = private_names_defined(tree)[0]
        if name == RUNTIME:
            for facet in RUNTIME_FACETS:
                own |= private_names_defined(trees[facet])[0]
        allowed = own | interface | PRIVATE_ACCESS_ALLOWED.get(name, frozenset())
        offences += [
            f"{name}:{line}: {expr}"
            for line, expr, attr in private_accesses(tree)
            if attr not in allowed
        ]
    assert offences == []


def private_names_owned(tree: ast.Module) -> set[str]:
    """Underscore names a module owns: those its concrete (non-`Protocol`) classes define, and
    those it assigns as ``self.<name>``. A `Protocol` declaration is an interface to read, not a
    licence to write."""
    tree = copy.deepcopy(tree)
    protocols = [
        cls
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        and any(ast.unparse(base).endswith("Protocol") for base in cls.bases)
    ]
    for cls in protocols:
        cls.body = []
    return private_names_defined(tree)[0]


def private_writes(tree: ast.Module) -> list[tuple[int, str, str]]:
    """``(line, expression, name)`` for each store to or delete of ``x._name`` (plain, augmented,
    unpacking, ``for``/``with`` targets) and each ``setattr``/``delattr``/``object.__setattr__``
    of an underscore name, where x is not self, cls or super()."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store | ast.Del):
            target, name = node.value, node.attr
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func) in ("setattr", "delattr", "object.__setattr__")
            and len(node.args) >= 2  # the object and the name
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            target, name = node.args[0], node.args[1].value
        else:
            continue
        if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
            continue
        if ast.unparse(target) in ("self", "cls", "super()"):
            continue
        found.append((node.lineno, ast.unparse(node), name))
    return found


def test_private_writes_finds_every_kind_of_store() -> None:
    tree = ast.parse(
        "x._a = 1\nx._b += 1\ndel x._c\nx._d, y._e = 1, 2\nfor z._f in y: pass\n"
        "setattr(x, '_g', 1)\nobject.__setattr__(x, '_h', 1)\n"
        "self._i = 1\ncls._j = 1\nx._k\nx.public = 1\nx.__dict__ = {}\nsetattr(self, '_l', 1)\n"
    )
    names = [name for _, _, name in private_writes(tree)]
    assert sorted(names) == ["_a", "_b", "_c", "_d", "_e", "_f", "_g", "_h"]


def test_private_names_owned_leaves_out_protocol_declarations() -> None:
    tree = ast.parse(
        "class P(Protocol):\n    _a: int\n    def _go(self) -> None: ...\n"
        "class C:\n    __slots__ = ('_s',)\n    def __init__(self):\n        self._t = 1\n"
    )
    assert private_names_owned(tree) == {"_s", "_t", "__init__"}


def test_no_module_writes_another_modules_private_attributes() -> None:
    """``x._name = ...`` (or ``+=``, ``del``, ``setattr``) is allowed only for a name the module
    itself owns (`private_names_owned`): not for one another module defines, even if a `Protocol`
    declares it, and not through `PRIVATE_ACCESS_ALLOWED`. The owning class gets the operation
    instead (the timer wheel's slots, which write a timer's `_slot` and `_when`, are in the
    module of `TimerEntry`, which defines them)."""
    trees = {name: parsed(path) for name, path in MODULES.items()}
    offences = []
    for name, tree in trees.items():
        writes = private_writes(tree)
        if not writes:
            continue
        owned = private_names_owned(tree)
        if name == RUNTIME:
            for facet in RUNTIME_FACETS:
                owned |= private_names_owned(trees[facet])
        offences += [f"{name}:{line}: {expr}" for line, expr, attr in writes if attr not in owned]
    assert offences == []


def declared_fields(tree: ast.Module) -> set[str]:
    """Underscore names the classes of `tree` annotate without a value (``_io: IoSources``)."""
    return {
        node.target.id
        for cls in ast.walk(tree)
        if isinstance(cls, ast.ClassDef)
        for node in cls.body
        if isinstance(node, ast.AnnAssign)
        and node.value is None
        and isinstance(node.target, ast.Name)
        and node.target.id.startswith("_")
    }


def assigned_fields(tree: ast.Module) -> set[str]:
    """Names assigned as ``self.<name> = ...`` anywhere in `tree`."""
    return {
        target.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute) and ast.unparse(target.value) == "self"
    }


def test_declared_and_assigned_fields() -> None:
    tree = ast.parse(
        "class M:\n    _a: int\n    _b: int = 1\n    c: int\n"
        "    def f(self):\n        self._d = 1\n        self.e: int = 2\n"
    )
    assert (declared_fields(tree), assigned_fields(tree)) == ({"_a"}, {"_d", "e"})


@pytest.mark.parametrize("facet", RUNTIME_FACETS)
def test_runtime_facets_declare_only_runtime_fields(facet: str) -> None:
    """Each field a facet mixin declares is one `Runtime.__init__` assigns (runtime.py)."""
    runtime = assigned_fields(parsed(MODULES[RUNTIME]))
    declared = declared_fields(parsed(MODULES[facet]))
    assert declared, f"{facet} declares nothing: is it still a facet of Runtime?"
    assert sorted(declared - runtime) == []


def test_runtime_is_its_facets() -> None:
    """Every facet module's mixin is a base of `Runtime`, so the allowance above stays exact."""
    bases = {base.__module__ for base in kernel.Runtime.__mro__[1:-1]}
    assert bases == set(RUNTIME_FACETS)


HYPOTHESIS_USERS: Final = frozenset({"kernel.testing.strategies"})
"""The only module of kernel that may import Hypothesis (a `test` extra, not a dependency)."""


@pytest.mark.parametrize("path", ALL_MODULES, ids=module_name)
def test_only_the_strategies_module_imports_hypothesis(path: Path) -> None:
    if module_name(path) in HYPOTHESIS_USERS:
        assert "hypothesis" in {name.split(".")[0] for name in imported_modules(path)}
        return
    hypothesis = sorted(n for n in imported_modules(path) if n.split(".")[0] == "hypothesis")
    assert hypothesis == [], f"{module_name(path)} imports {hypothesis}"


# -- tests mirror modules (issue #7): tests/test_<module>.py for every module ----------------------

TESTS: Final = Path(__file__).parent
UNMIRRORED: Final = ("kernel.bench", "kernel.demo")
"""Packages without one test file per module: the benchmarks (tests/test_bench*.py run them) and
the demo application (tests/test_demo_*.py drive it through its parts)."""
TESTED_ELSEWHERE: Final[dict[str, tuple[str, ...]]] = {
    # Runtime's facets (one class split by job) are tested through Runtime, by behaviour.
    "kernel._core.runtime_driving": ("test_driving.py", "test_host_hooks.py", "test_runtime.py"),
    "kernel._core.runtime_lifecycle": ("test_state.py", "test_shutdown.py", "test_runtime_io.py"),
    "kernel._core.runtime_observing": ("test_runtime.py", "test_instruments.py"),
    "kernel._core.runtime_requests": ("test_commands.py", "test_runtime.py"),
    "kernel._core.runtime_sources": (
        "test_runtime_io.py",
        "test_signals.py",
        "test_idle.py",
        "test_threads.py",
    ),
    # Hosts: named after their package, as a bare test_asyncio.py would read as a test of asyncio.
    "kernel.hosts.asyncio": ("test_hosts_asyncio.py",),
    "kernel.hosts.urwid": (
        "test_hosts_urwid.py",
        "test_hosts_urwid_apps.py",
        "test_hosts_urwid_contract.py",
    ),
}
"""Modules whose tests live in files not named tests/test_<module>.py (docs/testing.md, "Where
each module is tested"). Keep it short: a new module gets its mirror file instead."""


def mirror_file(name: str) -> Path:
    """tests/test_<module>.py for module `name` (its last dotted part)."""
    return TESTS / f"test_{name.rpartition('.')[2]}.py"


MIRRORED: Final = sorted(
    name
    for name, path in MODULES.items()
    if path.name not in ("__init__.py", "__main__.py")
    and not any(name.startswith(package + ".") for package in UNMIRRORED)
)


def test_mirror_file_names_the_modules_last_part() -> None:
    assert mirror_file("kernel._core.timer_wheel") == TESTS / "test_timer_wheel.py"
    assert mirror_file("kernel.testing.manual_clock") == TESTS / "test_manual_clock.py"


@pytest.mark.parametrize("name", MIRRORED)
def test_every_module_has_its_test_file(name: str) -> None:
    if name in TESTED_ELSEWHERE:
        return
    assert mirror_file(name).is_file(), (
        f"{name} has no {mirror_file(name).relative_to(TESTS.parent)}: add it (or, with a reason, "
        "an entry in TESTED_ELSEWHERE)"
    )


@pytest.mark.parametrize("name", sorted(TESTED_ELSEWHERE))
def test_tested_elsewhere_names_real_modules_and_files(name: str) -> None:
    assert name in MIRRORED, f"{name} is not a module that needs a test file"
    assert not mirror_file(name).is_file(), f"{name} has its mirror file: drop its entry"
    missing = [f for f in TESTED_ELSEWHERE[name] if not (TESTS / f).is_file()]
    assert missing == [], f"{name}: no such test files {missing}"


@pytest.mark.parametrize("package", UNMIRRORED)
def test_unmirrored_packages_have_their_test_files(package: str) -> None:
    prefix = "test_" + package.rpartition(".")[2]
    assert sorted(TESTS.glob(f"{prefix}*.py")), f"no tests/{prefix}*.py for {package}"
