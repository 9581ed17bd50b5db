"""Installing branchq: pyproject.toml in the form current setuptools reads without a warning."""

from __future__ import annotations

import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_license_is_an_spdx_expression_for_a_setuptools_that_reads_it() -> None:
    """A ``license = { text = ... }`` table makes setuptools >= 77 warn at every install."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    assert data["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in data["build-system"]["requires"]


def test_every_package_of_the_tree_is_installed() -> None:
    """The package list is explicit (the folders map into ``branchq.*``): a new package folder
    missing from it would be left out of the wheel and fail only on a real install."""
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    listed = set(data["tool"]["setuptools"]["packages"])
    mapping = data["tool"]["setuptools"]["package-dir"]
    repo = PYPROJECT.parent
    in_tree = {".".join((name, *init.parent.relative_to(repo / folder).parts))
               for name, folder in mapping.items() for init in (repo / folder).rglob("__init__.py")}
    assert listed == in_tree
