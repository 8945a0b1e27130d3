"""The red-flags package: its modules import one another in one direction only."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import projections.flags

PACKAGE = Path(projections.flags.__file__).parent


def _imports(module: Path) -> set[str]:
    """The modules of the package that ``module`` imports, also under TYPE_CHECKING: a cycle
    hidden from the interpreter is still one for the reader and the type checker."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module == "projections.flags":
                found |= {a.name for a in node.names if (PACKAGE / f"{a.name}.py").exists()}
            elif node.module.startswith("projections.flags."):
                found.add(node.module.removeprefix("projections.flags."))
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.removeprefix("projections.flags.")
                for alias in node.names
                if alias.name.startswith("projections.flags.")
            }
    return found


def test_the_modules_have_no_import_cycle() -> None:
    modules = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
    assert {"config", "kinds", "store", "rules", "run", "groups", "handlers", "projection",
            "queries"} <= set(modules)  # fmt: skip
    graph = {name: _imports(PACKAGE / f"{name}.py") for name in modules}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle in projections.flags: {exc.args[1]}") from None
    assert set(order) == set(modules)


def test_what_the_package_exports() -> None:
    from projections.flags import FlagKind, FlagsProjection, load_flag_config

    config = load_flag_config()  # the packaged flags.toml, found as package data
    assert config.severity(FlagKind.SPLITTING) == "high"
    assert FlagsProjection(config=config).name == "flags"
