"""The house of DESIGN.md §3: imports point down, and the check of it is not vacuous.

`lint-imports` checks the contract in pyproject.toml over the real tree; the same contract, run
over a copy of the tree with one forbidden import added (at the top of a module, then inside a
function), must break.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

from tests.ours import PACKAGES

ROOT = Path(__file__).resolve().parent.parent

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# The site's URL modules name every app's routes, as strings: they may not import the apps, and
# nothing below imports them.
COMPOSITION_ROOT = {"incubator.urls", "incubator.api.urls"}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_of_the_tree(destination: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            destination / package,
            ignore=shutil.ignore_patterns("__pycache__", "locale", "templates", "static"),
        )
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def test_the_house_contract_is_kept():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    "forbidden",
    [
        "from applications.models import Application\n",
        "\n\ndef _reach_up():\n    from applications import selectors\n\n    return selectors\n",
    ],
    ids=["at the top", "inside a function"],
)
def test_the_house_contract_breaks_when_the_outbox_imports_applications(tmp_path, forbidden):
    tree = copy_of_the_tree(tmp_path)
    outbox = tree / "notifications" / "outbox.py"
    outbox.write_text(outbox.read_text() + forbidden)

    result = lint_imports(tree)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert "notifications.outbox -> applications" in result.stdout


def test_nothing_imports_the_composition_root_and_it_imports_no_app():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)

    for module in COMPOSITION_ROOT:
        assert graph.find_modules_that_directly_import(module) <= COMPOSITION_ROOT, module
        imported = graph.find_modules_directly_imported_by(module)
        assert not {name for name in imported if name.split(".")[0] != "incubator"}, module
