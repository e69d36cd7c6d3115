"""The facade's public API: small, documented numpydoc-style, and all that the interfaces use."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest

import advisor.facade as facade
from advisor.facade import Advisor
from tests.test_architecture import INTERFACES

ADVISOR_API = {
    "close",
    "contribute",
    "evaluate",
    "fit_final",
    "kb",
    "load_model",
    "meta_features",
    "performance_table",
    "ranker",
    "sampler",
    "search",
    "search_report",
    "space",
    "suggest",
    "suggest_report",
}


def _members(cls: type) -> dict[str, Any]:
    """The class's attributes, those of the mixins it is composed of included."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__[:-1]):
        out.update(vars(klass))
    return out


def _public() -> Iterator[tuple[str, Any]]:
    """Every public function, class and method of the facade."""
    for name in facade.__all__:
        obj = getattr(facade, name)
        yield name, obj
        if inspect.isclass(obj):
            for attr, value in _members(obj).items():
                if not attr.startswith("_"):
                    member = value.fget if isinstance(value, property) else value
                    yield f"{name}.{attr}", getattr(member, "__func__", member)


def _documented(doc: str) -> set[str]:
    """Names listed in a numpydoc ``Parameters`` section (``a, b : type`` lines)."""
    lines = inspect.cleandoc(doc).splitlines()
    if "Parameters" not in lines:
        return set()
    names: set[str] = set()
    for line in lines[lines.index("Parameters") + 2 :]:
        if not line.strip():
            continue
        if re.fullmatch(r"-+", line.strip()) or line.strip() in ("Returns", "Raises"):
            break
        if not line.startswith(" "):
            names.update(n.strip().lstrip("*") for n in line.split(" : ")[0].split(","))
    return names


def test_the_advisor_keeps_public_only_what_a_user_needs() -> None:
    public = {n for n in _members(Advisor) if not n.startswith("_")}
    assert public == ADVISOR_API


@pytest.mark.parametrize(("name", "obj"), list(_public()), ids=[n for n, _ in _public()])
def test_every_public_parameter_is_documented(name: str, obj: Any) -> None:
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    if not callable(obj) or (inspect.isclass(obj) and name != "Advisor"):
        return
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = [p for p in inspect.signature(target).parameters if p not in ("self", "cls")]
    if params:
        missing = set(params) - _documented(doc)
        assert not missing, f"{name}: parameters without a numpydoc entry: {sorted(missing)}"


def test_interfaces_use_nothing_private_of_the_facade() -> None:
    private = {n for n in vars(facade) if n.startswith("_") and not n.startswith("__")}
    private |= {n for n in (*_members(Advisor), *vars(Advisor())) if n.startswith("_")}
    private -= {n for n in private if n.startswith("__")}
    offenders = []
    for path in INTERFACES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "advisor.facade":
                offenders += [(path.name, a.name) for a in node.names if a.name.startswith("_")]
            elif isinstance(node, ast.Attribute) and node.attr in private:
                offenders.append((path.name, node.attr))
    assert offenders == []


def test_an_empty_knowledge_base_says_how_to_load_the_seed(tmp_path) -> None:
    from advisor_core.errors import RankerError

    adv = Advisor(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with pytest.raises(RankerError, match=r"no trials of space 'mlp'.*advisor kb init --seed"):
        adv.ranker("mlp")
