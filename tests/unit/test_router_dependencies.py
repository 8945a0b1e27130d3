"""Routers take what they use from their package's ``deps`` module: none reads or writes
``app.state`` (where a lazily made resource would hide until a first request), and none
takes another package's dependency aliases directly."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGES = ("ledger", "projections", "publisher")


def router_modules() -> dict[Path, ast.Module]:
    """Every module of the packages that makes an ``APIRouter``."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            calls = (n for n in ast.walk(tree) if isinstance(n, ast.Call))
            if any(isinstance(c.func, ast.Name) and c.func.id == "APIRouter" for c in calls):
                found[path.relative_to(ROOT)] = tree
    return found


def test_the_routers_are_found() -> None:
    names = {path.as_posix() for path in router_modules()}
    assert {"ledger/http.py", "projections/web/challenges.py", "publisher/admin.py",
            "projections/supervision/routes.py"} <= names  # fmt: skip


def is_app(node: ast.expr) -> bool:
    """``app`` or ``<anything>.app``, such as ``request.app``."""
    return (isinstance(node, ast.Name) and node.id == "app") or (
        isinstance(node, ast.Attribute) and node.attr == "app"
    )


def touches_app_state(node: ast.AST) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "state" and is_app(node.value):
        return True  # app.state, request.app.state (then .x, = …, getattr on it)
    return (  # getattr(app, "state") / setattr(request.app, "state", …)
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in ("getattr", "setattr") and len(node.args) >= 2
        and is_app(node.args[0]) and isinstance(node.args[1], ast.Constant)
        and node.args[1].value == "state"
    )  # fmt: skip


def test_no_router_touches_app_state() -> None:
    touching = [
        f"{path}:{getattr(node, 'lineno', '?')}"
        for path, tree in router_modules().items()
        for node in ast.walk(tree)
        if touches_app_state(node)
    ]
    assert touching == []


def test_routers_take_dependencies_from_their_own_package() -> None:
    foreign = [
        f"{path}:{node.lineno} imports {node.module}"
        for path, tree in router_modules().items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith(".deps")
        and node.module != f"{path.parts[0]}.deps"
    ]  # fmt: skip
    assert foreign == []
