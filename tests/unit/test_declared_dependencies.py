"""Every package the code imports is one pyproject.toml declares, in a range the installed
version satisfies: an install from pyproject.toml alone gets what the code uses, and a
package that only arrives through another's dependencies cannot vanish under us."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger", "projections", "publisher", "sunshine", "demo", "witness")


def imported_modules(package: str) -> dict[str, str]:
    """Top-level module imported (absolutely) by the package → one file that imports it."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return found


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    return {canonicalize_name(r.name): r for r in requirements}


def test_every_package_the_code_imports_is_declared_in_a_range_that_is_installed() -> None:
    distributions = packages_distributions()
    requirements = declared()
    undeclared: list[str] = []
    for package in PACKAGES:
        for module, where in imported_modules(package).items():
            if module in PACKAGES or module in sys.stdlib_module_names:
                continue
            names = [canonicalize_name(d) for d in distributions.get(module, [])]
            assert names, f"{where} imports {module}, which no installed distribution provides"
            if not any(name in requirements for name in names):
                undeclared.append(f"{names[0]} (imported by {where})")
    assert undeclared == [], "imported directly but not in [project.dependencies]"
    for name, requirement in requirements.items():
        installed = version(name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            f"{name} {installed} is installed, outside the declared {requirement}"
        )

