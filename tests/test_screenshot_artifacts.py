"""The browser tests' screenshots are CI artefacts: written under the folder the README names,
ignored by git, and left in place by `make test`, `make clean` and `.ci/run` (issue 13)."""

from pathlib import Path

from tests.browser.conftest import SCREENSHOTS

ROOT = Path(__file__).resolve().parent.parent
FOLDER = "test-artifacts/"


def test_screenshots_go_under_the_folder_the_readme_names():
    assert SCREENSHOTS == ROOT / "test-artifacts" / "screenshots"
    assert "`test-artifacts/screenshots/`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_git_ignores_the_screenshot_folder():
    lines = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert FOLDER in lines


def test_ci_and_make_leave_the_screenshot_folder_in_place():
    for script in (ROOT / ".ci" / "run", ROOT / "Makefile"):
        assert "test-artifacts" not in script.read_text(encoding="utf-8"), script
