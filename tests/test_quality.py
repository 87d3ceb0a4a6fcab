"""The code stays ruff-clean, formatted, typed and layered (settings in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_check() -> None:
    res = run("ruff", "check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_ruff_format() -> None:
    res = run("ruff", "format", "--check", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_mypy() -> None:
    res = run("mypy")
    assert res.returncode == 0, res.stdout + res.stderr


def test_import_contracts() -> None:
    """pyproject.toml's import-linter contracts: models imports neither tui nor textual;
    widgets and screens never import the App."""
    lint = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


def test_the_import_graph_has_no_circle() -> None:
    """No module of tui or models imports, directly or not, a module that imports it back
    (imports under TYPE_CHECKING aside: they never run)."""
    import grimp

    graph = grimp.build_graph("tui", "models", exclude_type_checking_imports=True)
    circles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert circles == []


def test_no_source_file_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in ("tui", "models")
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}
