"""Exports with the round's own questions: one column per question after the fixed ones."""

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from applications.models import Application
from incubator.models import Question
from reviews.exports import headers, iter_csv, neutralize_text, write_xlsx
from tests.reviews.test_exports import (  # noqa: F401 (shortlist: a fixture)
    ENGLISH_HEADERS,
    SEPARATED,
    read_csv,
    shortlist,
)

pytestmark = pytest.mark.django_db

QUESTIONS = [
    ("staff", "number", {"label": {"en": "Staff", "zh-hant": "員工人數"}}),
    (
        "licences",
        "multi_choice",
        {
            "label": {"en": "Licences held", "zh-hant": "持有牌照"},
            "choices": [
                {"value": "sfc-1", "label": {"en": "SFC Type 1", "zh-hant": "證監會第1類"}},
                {"value": "vasp", "label": {"en": "VASP"}},
            ],
        },
    ),
    ("token", "boolean", {"label": {"en": "Token?"}}),
    ("pilot", "text", {"label": {"en": "Pilot partner", "zh-hans": "试点伙伴"}}),
]


@pytest.fixture
def asked(request):
    listed = request.getfixturevalue("shortlist")
    for order, (key, kind, extra) in enumerate(QUESTIONS):
        Question.objects.create(round=listed.round, key=key, kind=kind, order=order, **extra)
    entries = list(listed.entries.order_by("rank"))
    answers = [
        {"staff": 12, "licences": ["sfc-1", "vasp"], "token": True, "pilot": "=HYPERLINK(1)"},
        {"staff": 2.5, "pilot": "Bank;=1"},
        {},
    ]
    for entry, given in zip(entries, answers, strict=False):
        Application.objects.filter(pk=entry.application_id).update(answers=given)
    return listed


def test_headers_are_the_labels_in_the_exports_language(asked):
    questions = list(asked.round.questions.order_by("order"))
    assert headers("en", questions)[len(ENGLISH_HEADERS) :] == [
        "Staff",
        "Licences held",
        "Token?",
        "Pilot partner",
    ]
    assert headers("zh-hant", questions)[-4:] == ["員工人數", "持有牌照", "Token?", "Pilot partner"]
    assert headers("zh-hans", questions)[-1] == "试点伙伴"


def test_csv_one_column_per_question_neutralised(asked):
    rows = read_csv(b"".join(iter_csv(asked)))
    assert rows[0] == [*ENGLISH_HEADERS, "Staff", "Licences held", "Token?", "Pilot partner"]
    assert rows[1][len(ENGLISH_HEADERS) :] == ["12", "SFC Type 1, VASP", "Yes", "'=HYPERLINK(1)"]
    assert rows[2][len(ENGLISH_HEADERS) :] == ["2.5", "", "", "Bank;'=1"]
    assert rows[3][len(ENGLISH_HEADERS) :] == ["", "", "", ""]


def test_xlsx_numbers_numeric_text_as_typed(asked, tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(asked, str(path))
    sheet = load_workbook(path).active
    rows = [
        [unescape(v) if isinstance(v, str) else v for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert rows[0][len(ENGLISH_HEADERS) :] == ["Staff", "Licences held", "Token?", "Pilot partner"]
    assert rows[1][len(ENGLISH_HEADERS) :] == [12, "SFC Type 1, VASP", "Yes", "=HYPERLINK(1)"]
    assert rows[2][len(ENGLISH_HEADERS) :] == [2.5, None, None, "Bank;=1"]
    # The first question's column (a number) and the fourth's (text), after the fixed columns.
    assert sheet.cell(row=2, column=len(ENGLISH_HEADERS) + 1).data_type == "n"
    assert sheet.cell(row=2, column=len(ENGLISH_HEADERS) + 4).data_type == "s"
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)


def test_neutralize_text_matches_the_databases():
    for given, expected in SEPARATED:
        assert neutralize_text(given) == expected
    assert neutralize_text("@cmd") == "'@cmd"
    assert neutralize_text("plain") == "plain"
