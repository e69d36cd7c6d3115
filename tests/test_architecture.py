"""The architecture of the README, checked on the source.

Packages: ``advisor -> knowledge_base -> advisor_core`` (and ``advisor -> advisor_core``); the
seed-building tooling, benchmarks and experiments sit above all three and nothing installed
imports them. Inside ``advisor``: interfaces call the facade, bottom layers do not reach into
each other. No import cycle between modules; no module longer than about 400 lines; public
modules list their API in ``__all__``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PKG = REPO / "advisor"


def _imports(path: Path) -> list[tuple[str, int]]:
    """Modules imported at run time (imports under ``if TYPE_CHECKING:`` are type hints)."""
    tree = ast.parse(path.read_text())
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(id(n) for n in ast.walk(node))
    out = []
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            out.extend((a.name, node.lineno) for a in node.names)
    return out


def _ours(module: str) -> bool:
    return module.split(".")[0] in ("advisor", "knowledge_base")


INSTALLED = ("advisor", "advisor_core", "knowledge_base")
#: What each installed package may import of the project (itself included).
PACKAGE_DIRECTION = {
    "advisor_core": ("advisor_core",),
    "knowledge_base": ("knowledge_base", "advisor_core"),
    "advisor": ("advisor", "knowledge_base", "advisor_core"),
}
PROJECT_ROOTS = (
    "advisor",
    "advisor_core",
    "knowledge_base",
    "seedbuild",
    "benchmarks",
    "experiments",
)


def _sources(package: str) -> list[Path]:
    return [
        p
        for p in sorted((REPO / package).rglob("*.py"))
        if "migrations" not in p.relative_to(REPO).parts
    ]


@pytest.mark.parametrize("package", INSTALLED)
def test_packages_import_in_one_direction(package: str) -> None:
    bad = [
        f"{p.relative_to(REPO)}:{line} imports {m}"
        for p in _sources(package)
        for m, line in _imports(p)
        if m.split(".")[0] in PROJECT_ROOTS and m.split(".")[0] not in PACKAGE_DIRECTION[package]
    ]
    assert bad == []


#: The modules of ``advisor`` that may open the knowledge base: the facade, the trial-record
#: glue and the interfaces.
KB_USERS = (
    "advisor.facade",
    "advisor.records",
    "advisor.cli",
    "advisor.service",
    "advisor.sklearn",
    "advisor.integrations",
)


def test_only_the_facade_and_interfaces_use_the_knowledge_base() -> None:
    bad = []
    for p in _sources("advisor"):
        mod = ".".join(p.relative_to(REPO).with_suffix("").parts)
        if any(mod == u or mod.startswith(u + ".") for u in KB_USERS):
            continue
        bad += [f"{mod} imports {m}" for m, _ in _imports(p) if m.split(".")[0] == "knowledge_base"]
    assert bad == []


def _module_graph() -> dict[str, set[str]]:
    modules = {}
    for package in INSTALLED:
        for p in _sources(package):
            parts = p.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = p
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, p in modules.items():
        tree = ast.parse(p.read_text())
        hidden: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                hidden.update(id(n) for n in ast.walk(node))
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = [f"{node.module}.{a.name}" for a in node.names]
                targets = [t for t in subs if t in modules] or [node.module]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for t in targets:
                if t in modules and t != mod and not mod.startswith(t + "."):
                    graph[mod].add(t)
    return graph


def test_no_import_cycle_between_modules() -> None:
    """A package's ``__init__`` re-exporting its own submodules is not a cycle; everything else
    (lazy imports inside functions included) is."""
    graph = _module_graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(graph[m]):
            if n.startswith(m + "."):
                continue  # a package importing its own submodule
            if state.get(n) == 1:
                cycles.append([*path[path.index(n) :], n] if n in path else [m, n])
            elif n not in state:
                visit(n, [*path, n])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


MAX_MODULE_LINES = 420  # "about 400"


def test_no_module_is_longer_than_about_400_lines() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for package in INSTALLED
        for p in _sources(package)
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


INTERFACES = [
    *sorted((PKG / "cli").glob("*.py")),
    *sorted((PKG / "service").glob("*.py")),
    PKG / "client.py",
    *sorted((PKG / "sklearn").glob("*.py")),
    *sorted((PKG / "integrations").glob("*.py")),
]
#: What an interface may import: the facade, shared leaves, its own package, the KB's API.
INTERFACE_ALLOWED = (
    "advisor.facade",
    "advisor_core.errors",
    "advisor_core.spaces",
    "advisor_core.objectives",
    "advisor_core.metafeature_schema",
    "advisor._version",
    "advisor.cli",
    "advisor.service",
    "advisor.client",
    "advisor.integrations",
    "advisor.sklearn",
    "knowledge_base",
    "knowledge_base.logfiles",
    "knowledge_base.schema",
    "knowledge_base.stores",
)


@pytest.mark.parametrize("path", INTERFACES, ids=lambda p: str(p.relative_to(REPO)))
def test_interfaces_call_only_the_facade(path: Path) -> None:
    bad = [
        (m, line)
        for m, line in _imports(path)
        if _ours(m)
        and not any(
            m == a
            or (
                m.startswith(a + ".")
                and a.count(".") == 1
                and a
                in ("advisor.cli", "advisor.service", "advisor.integrations", "advisor.sklearn")
            )
            for a in INTERFACE_ALLOWED
        )
    ]
    assert bad == [], f"{path.relative_to(REPO)} reaches below the facade: {bad}"


#: Bottom layers and what each may import of the project (besides the shared leaves).
LAYERS = {
    "advisor/data": (),
    "advisor/metafeatures": ("advisor.data",),
    "advisor/trials": ("advisor.data",),
    "advisor/ranker": ("advisor.metafeatures",),
}
LEAVES = (
    "advisor_core.errors",
    "advisor_core.spaces",
    "advisor_core.objectives",
    "advisor_core.metafeature_schema",
    "advisor._version",
    "advisor",
)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_bottom_layers_do_not_reach_into_each_other(layer: str) -> None:
    own = layer.replace("/", ".")
    allowed = (*LEAVES, *LAYERS[layer], own)
    for path in sorted((REPO / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        bad = [
            (m, line)
            for m, line in _imports(path)
            if _ours(m) and not (m in allowed or m.startswith(own + "."))
        ]
        assert bad == [], f"{path.relative_to(REPO)} imports {bad}"


def test_public_modules_declare_their_api() -> None:
    missing = []
    for path in [p for package in INSTALLED for p in (REPO / package).rglob("*.py")]:
        if (path.name.startswith("_") and path.name != "__init__.py") or "migrations" in path.parts:
            continue
        if "__all__" not in path.read_text():
            missing.append(str(path.relative_to(REPO)))
    assert missing == []


def test_torch_is_imported_only_by_the_trial_runner() -> None:
    offenders = []
    for path in PKG.rglob("*.py"):
        if "trials" in path.parts:
            continue
        if any(m.split(".")[0] == "torch" for m, _ in _imports(path)):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_the_search_does_not_import_the_knowledge_base() -> None:
    """The search takes what it needs from the knowledge base (a lock) from its caller."""
    paths = [PKG / "candidates.py", PKG / "suggest.py", *sorted((PKG / "search").glob("*.py"))]
    bad = [
        (str(p.relative_to(REPO)), m)
        for p in paths
        for m, _ in _imports(p)
        if m.split(".")[0] == "knowledge_base"
    ]
    assert bad == []


def test_optuna_is_used_through_its_public_api() -> None:
    import re

    private = re.compile(r"\._(study_id|storage|trial_id|suggest)\b")
    bad = [
        f"{p.relative_to(REPO)}:{n}"
        for p in sorted(PKG.rglob("*.py"))
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if private.search(line)
    ]
    assert bad == []
