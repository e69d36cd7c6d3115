"""The dependency direction of design.md, checked on the source: interfaces call the facade,
bottom layers do not reach into each other, public modules list their API in ``__all__``."""

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


INTERFACES = [
    *sorted((PKG / "cli").glob("*.py")),
    *sorted((PKG / "service").glob("*.py")),
    PKG / "client.py",
    PKG / "sklearn.py",
    *sorted((PKG / "integrations").glob("*.py")),
]
#: What an interface may import: the facade, shared leaves, its own package, the KB's API.
INTERFACE_ALLOWED = (
    "advisor.facade",
    "advisor_core.errors",
    "advisor_core.spaces",
    "advisor_core.objectives",
    "advisor._version",
    "advisor.cli",
    "advisor.service",
    "advisor.client",
    "advisor.integrations",
    "knowledge_base",
    "knowledge_base.logfiles",
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
                and a in ("advisor.cli", "advisor.service", "advisor.integrations")
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
    "knowledge_base": ("advisor.metafeatures", "advisor.data"),  # the corpus loads data
    "advisor/ranker": ("advisor.metafeatures",),
}
LEAVES = (
    "advisor_core.errors",
    "advisor_core.spaces",
    "advisor_core.objectives",
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
    for path in [*PKG.rglob("*.py"), *(REPO / "knowledge_base").rglob("*.py")]:
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
