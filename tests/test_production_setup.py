"""A deployment that follows the README serves the Chinese pages.

The README's production block ("Running with PostgreSQL, Redis, a worker and beat") is read and
its `manage.py` commands run, as written, in a clean copy of the project with no compiled
catalogue in it, with production settings (`DJANGO_DEBUG=0`, a secret key, SQLite in the copy);
then the site is served by gunicorn, as the README starts it, and read in Traditional Chinese.
"""

import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.ours import PACKAGES

ROOT = Path(__file__).resolve().parent.parent
SOURCE_FOLDERS = PACKAGES
SECTION = "## Running with PostgreSQL, Redis, a worker and beat"


def readme_production_commands() -> list[list[str]]:
    """The `manage.py` commands of the README's production block, as argument lists."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(SECTION, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] == [".venv/bin/python", "manage.py"]:
            commands.append([sys.executable, *words[1:]])
    return commands


def readme_gunicorn_command(port: int) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"^\.venv/bin/gunicorn .*$", readme.split(SECTION, 1)[1], re.MULTILINE)
    words = shlex.split(line.group(0), comments=True)
    words[words.index("--bind") + 1] = f"127.0.0.1:{port}"
    words[words.index("--workers") + 1] = "1"
    return [sys.executable, "-m", "gunicorn", *words[1:]]


def production_environment(root: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "EMAIL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="incubator.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        # A closed network served over plain HTTP (the README's DJANGO_HTTPS=0 case).
        DJANGO_HTTPS="0",
        DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
        MEDIA_ROOT=str(root / "media"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, language: str) -> tuple[int, str]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, headers={"Accept-Language": language})  # noqa: S310 (checked: local http)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (checked: local http)
        return response.status, response.read().decode()


def wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read()
        try:
            get(url, "en")
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"gunicorn did not answer {url} within {seconds} s")


def test_production_setup_readme_compiles_the_catalogues():
    assert ["compilemessages", "--ignore=.venv"] in [
        command[2:] for command in readme_production_commands()
    ]


def test_production_setup_serves_traditional_chinese(tmp_path):
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")
    for folder in SOURCE_FOLDERS:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=ignore)
    shutil.copy2(ROOT / "manage.py", tmp_path / "manage.py")
    assert list(tmp_path.rglob("*.mo")) == []
    env = production_environment(tmp_path)

    for command in readme_production_commands():
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, (command, done.stderr)

    port = free_port()
    server = subprocess.Popen(
        readme_gunicorn_command(port), cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/", server)
        status, traditional = get(f"http://127.0.0.1:{port}/", "zh-hant")
        _, simplified = get(f"http://127.0.0.1:{port}/", "zh-hans")
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', traditional).group(1)
        css_status, _ = get(f"http://127.0.0.1:{port}{stylesheet}", "en")
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()

    assert status == 200
    assert '<html lang="zh-hant">' in traditional
    assert "申請流程" in traditional  # "How it works"
    assert "申请流程" in simplified
    assert css_status == 200  # collected and served by whitenoise
