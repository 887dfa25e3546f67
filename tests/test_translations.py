"""The translation gate: every message a person reads is translated into zh-hans and zh-hant.

`makemessages` runs in a temporary copy of the project (the real tree is never written), and the
catalogues it produces are compared with the committed ones: a message that is new (not in the
committed catalogue), fuzzy, untranslated or left obsolete fails the build, and so does a Chinese
translation that is just the English text again (apart from a few names and codes). A failure
lists every offending message with its app and language; the fix is to run the README's
`makemessages` command and translate what it adds (docs/glossary.md gives the words).
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib

from tests.ours import PACKAGES

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh_Hans", "zh_Hant")
# Folders that hold messages (those makemessages reads); tests and bench are not translated.
SOURCE_FOLDERS = PACKAGES
# Chinese text may repeat the English one only for these: codes and names read as they are.
SAME_IN_CHINESE = frozenset({"SHA-256", "Webhook", "CSV", "XLSX", "API", "JSON", "PDF", "HTML"})
# Words a Hong Kong reader does not use (docs/glossary.md), and the mainland's quotation marks.
NOT_HONG_KONG = {
    "郵箱": "電郵",
    "數據": "資料",
    "字段": "欄位",
    "默認": "預設",
    "“": "「",
    "”": "」",
}


def copy_project(target: Path) -> Path:
    """Copy what makemessages reads (the apps, their catalogues, manage.py) into target."""
    ignore = shutil.ignore_patterns("__pycache__", "*.mo", "*.pyc")
    for folder in SOURCE_FOLDERS:
        shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    shutil.copy2(ROOT / "manage.py", target / "manage.py")
    return target


def catalogues(root: Path) -> dict[str, polib.POFile]:
    """Every catalogue under root, by its path relative to root."""
    return {
        str(path.relative_to(root)): polib.pofile(str(path))
        for folder in SOURCE_FOLDERS
        for language in LANGUAGES
        if (path := root / folder / "locale" / language / "LC_MESSAGES" / "django.po").exists()
    }


def run_makemessages(root: Path) -> None:
    # The project's own settings: the copy has no tests/ (pytest's settings module lives there).
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "incubator.settings",
        "DJANGO_DEBUG": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    command = [sys.executable, "manage.py", "makemessages", "--no-location", "-v0"]
    command += [f"-l{language}" for language in LANGUAGES]
    command += ["--ignore=.venv", "--ignore=tests", "--ignore=bench"]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


def _key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _translations(entry: polib.POEntry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def catalogue_problems(root: Path) -> list[str]:
    """Run makemessages in root (a copy) and say what is not translated, one line each."""
    committed = {
        path: {_key(entry) for entry in po if not entry.obsolete}
        for path, po in catalogues(root).items()
    }
    run_makemessages(root)
    problems = []
    for path, po in catalogues(root).items():
        for entry in po:
            where = f"{path}: {entry.msgid!r}"
            if entry.obsolete:
                problems.append(f"{where} is obsolete: delete it")
                continue
            if _key(entry) not in committed.get(path, set()):
                problems.append(f"{where} is new: translate it")
            elif "fuzzy" in entry.flags:
                problems.append(f"{where} is fuzzy")
            elif not all(_translations(entry)):
                problems.append(f"{where} is untranslated")
            elif entry.msgid not in SAME_IN_CHINESE and (
                entry.msgid in _translations(entry) or entry.msgid_plural in _translations(entry)
            ):
                problems.append(f"{where} is the English text again")
    return problems


def test_translations_every_message_is_translated(tmp_path):
    problems = catalogue_problems(copy_project(tmp_path))

    assert problems == []


def test_translations_gate_fails_on_a_new_untranslated_string(tmp_path):
    root = copy_project(tmp_path)
    (root / "reviews" / "gate_probe.py").write_text(
        "from django.utils.translation import gettext_lazy as _\n\n"
        'PROBE = _("A sentence nobody has translated yet")\n'
    )

    problems = catalogue_problems(root)

    assert problems == [
        f"reviews/locale/{language}/LC_MESSAGES/django.po: "
        "'A sentence nobody has translated yet' is new: translate it"
        for language in LANGUAGES
    ]


def test_translations_gate_fails_on_fuzzy_english_and_obsolete_entries(tmp_path):
    root = copy_project(tmp_path)
    path = root / "reviews" / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
    po = polib.pofile(str(path))
    po.find("Ranking").msgstr = "Ranking"
    po.find("Leniency").flags.append("fuzzy")
    po.append(polib.POEntry(msgid="A message the code no longer has", msgstr="已刪除的訊息"))
    po.save()

    problems = catalogue_problems(root)

    assert sorted(problems) == [
        "reviews/locale/zh_Hant/LC_MESSAGES/django.po: 'A message the code no longer has' "
        "is obsolete: delete it",
        "reviews/locale/zh_Hant/LC_MESSAGES/django.po: 'Leniency' is fuzzy",
        "reviews/locale/zh_Hant/LC_MESSAGES/django.po: 'Ranking' is the English text again",
    ]


def test_translations_gate_leaves_the_real_tree_alone(tmp_path):
    before = {path: (ROOT / path).read_bytes() for path in catalogues(ROOT)}

    catalogue_problems(copy_project(tmp_path))

    assert {path: (ROOT / path).read_bytes() for path in catalogues(ROOT)} == before


def test_translations_traditional_chinese_reads_as_hong_kong_writes():
    found = [
        f"{path}: {entry.msgid!r} has {word} (write {instead})"
        for path, po in catalogues(ROOT).items()
        if "zh_Hant" in path
        for entry in po
        for text in _translations(entry)
        for word, instead in NOT_HONG_KONG.items()
        if word in text
    ]

    assert found == []


def test_translations_testing_service_has_one_name_per_language():
    # The testing service is 检测 / 檢測; 测试 / 測試 means only a test message (a test webhook).
    found = [
        f"{path}: {entry.msgid!r}"
        for path, po in catalogues(ROOT).items()
        for entry in po
        if re.search(r"\btesting\b", entry.msgid, re.IGNORECASE)
        and any(re.search("测试|測試", text) for text in _translations(entry))
    ]

    assert found == []
