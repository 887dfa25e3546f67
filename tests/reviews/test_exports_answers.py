"""Exports with the round's own questions: one column per question after the fixed ones."""

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from applications.models import Application
from incubator.models import Question
from reviews.exports import (
    answers_in_sql,
    entry_rows,
    headers,
    iter_csv,
    iter_csv_rows,
    neutralize_text,
    ranking_rows,
    write_xlsx,
)
from reviews.selectors import round_ranking
from tests.reviews.test_exports import (  # noqa: F401 (shortlist: a fixture)
    ENGLISH_HEADERS,
    SEPARATED,
    read_csv,
    shortlist,
)

pytestmark = pytest.mark.django_db

FIXED = len(ENGLISH_HEADERS)  # the answers' columns come after the fixed ones

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
    assert rows[1][FIXED:] == ["12", "SFC Type 1, VASP", "Yes", "'=HYPERLINK(1)"]
    assert rows[2][FIXED:] == ["2.5", "", "", "Bank;'=1"]
    assert rows[3][FIXED:] == ["", "", "", ""]


def test_xlsx_numbers_numeric_text_as_typed(asked, tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(asked, str(path))
    sheet = load_workbook(path).active
    rows = [
        [unescape(v) if isinstance(v, str) else v for v in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert rows[0][FIXED:] == ["Staff", "Licences held", "Token?", "Pilot partner"]
    assert rows[1][FIXED:] == [12, "SFC Type 1, VASP", "Yes", "=HYPERLINK(1)"]
    assert rows[2][FIXED:] == [2.5, None, None, "Bank;=1"]
    assert sheet.cell(row=2, column=FIXED + 1).data_type == "n"
    assert sheet.cell(row=2, column=FIXED + 4).data_type == "s"
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)


def test_neutralize_text_matches_the_databases():
    for given, expected in SEPARATED:
        assert neutralize_text(given) == expected
    assert neutralize_text("@cmd") == "'@cmd"
    assert neutralize_text("plain") == "plain"


EVERY_KIND = [
    ("name", "text", {}),
    ("story", "long_text", {}),
    ("staff", "number", {}),
    (
        "sector",
        "choice",
        {
            "choices": [
                {"value": "fin", "label": {"en": '=Fin, "tech"', "zh-hant": "金融科技"}},
                {"value": "bio", "label": {"en": "Bio\nmedical"}},
            ]
        },
    ),
    (
        "licences",
        "multi_choice",
        {
            "choices": [
                {"value": "a", "label": {"en": "SFC Type 1;=A"}},
                {"value": "b", "label": {"en": "+VASP"}},
                {"value": "c", "label": {"en": "證監會, 第9類"}},
            ]
        },
    ),
    ("token", "boolean", {}),
    ("site", "url", {}),
    ("founded", "date", {}),
]
AWKWARD = [
    {
        "name": "=cmd|' /C calc'!A0",
        "story": 'He said "yes", then\nleft;=1+2,@x',
        "staff": 0.00001,
        "sector": "fin",
        "licences": ["c", "a", "b"],  # stored out of order: written in the question's order
        "token": True,
        "site": "https://example.org/?a=1,b=2",
        "founded": "2024-02-29",
    },
    {
        "name": "香港金融科技有限公司",
        "story": "\t-tab\r\nreturn, 「引號」",
        "staff": 12345678901234.5,
        "sector": "bio",
        "licences": ["b"],
        "token": False,
        "site": "",
        "founded": None,
    },
    {
        "name": "",
        "story": "plain",
        "staff": 100000000000000000000,
        "sector": "gone",  # a choice the question no longer has: its value, neutralised
        "licences": [],
        "token": "true",  # not a boolean: no cell
        "site": "@home",
    },
    {"staff": -2.5, "licences": ["x,@y", "a"], "token": None, "sector": "-drop"},
    {},
]


@pytest.fixture
def every_kind(request):
    listed = request.getfixturevalue("shortlist")
    for order, (key, kind, extra) in enumerate(EVERY_KIND):
        Question.objects.create(
            round=listed.round, key=key, kind=kind, order=order, label={"en": key}, **extra
        )
    entries = list(listed.entries.order_by("rank"))
    for entry, given in zip(entries, AWKWARD, strict=False):
        Application.objects.filter(pk=entry.application_id).update(answers=given)
    return listed, entries


@pytest.mark.parametrize("neutralize", [True, False])
def test_answers_in_sql_equal_the_python_path_for_every_kind(every_kind, neutralize):
    listed, entries = every_kind
    assert len(entries) >= 3
    questions = list(listed.round.questions.order_by("order"))
    in_sql = list(entry_rows(listed, neutralize=neutralize, answers_in_sql=True))
    in_python = list(entry_rows(listed, neutralize=neutralize, answers_in_sql=False))
    assert len(in_sql) == len(entries)
    assert in_sql == in_python
    # The same text too (an int 12 and Decimal("12") are equal; their cells must read alike).
    assert [[str(v) for v in row] for row in in_sql] == [[str(v) for v in row] for row in in_python]
    first = dict(zip([q.key for q in questions], in_sql[0][FIXED:], strict=True))
    if neutralize:
        assert first["name"] == "'=cmd|' /C calc'!A0"
        assert first["story"] == "He said \"yes\", then\nleft;'=1+2,'@x"
        assert first["sector"] == '\'=Fin, "tech"'
    else:
        assert first["name"] == "=cmd|' /C calc'!A0"
        assert first["sector"] == '=Fin, "tech"'
    # In the question's order; "+" after ", " (a space between) is not a cell's start.
    assert first["licences"] == (
        "SFC Type 1;'=A, +VASP, 證監會, 第9類"
        if neutralize
        else "SFC Type 1;=A, +VASP, 證監會, 第9類"
    )
    assert first["staff"] == Decimal("0.00001")
    assert first["token"] == "Yes"
    assert first["founded"] == "2024-02-29"
    second = dict(zip([q.key for q in questions], in_sql[1][FIXED:], strict=True))
    assert second["name"] == "香港金融科技有限公司"
    assert second["staff"] == Decimal("12345678901234.5")
    assert second["sector"] == "Bio\nmedical"
    assert second["token"] == "No"
    assert second["licences"] == ("'+VASP" if neutralize else "+VASP")
    third = dict(zip([q.key for q in questions], in_sql[2][FIXED:], strict=True))
    assert third["staff"] == 100000000000000000000
    assert third["licences"] is None
    assert third["token"] is None
    assert third["sector"] == "gone"


def test_answers_in_sql_csv_equals_the_python_paths(every_kind):
    listed, _entries = every_kind
    questions = list(listed.round.questions.order_by("order"))
    files = [
        b"".join(iter_csv_rows(entry_rows(listed, answers_in_sql=in_sql), questions=questions))
        for in_sql in (True, False)
    ]
    assert files[0] == files[1]
    rows = read_csv(files[0])
    assert rows[1][FIXED:][2] == "0.00001"
    assert rows[4][FIXED:][2] == "-2.5"
    assert rows[4][FIXED:][4] == "SFC Type 1;'=A, x,'@y"  # a value no longer offered: last
    assert rows[4][FIXED:][3] == "'-drop"


def test_ranking_answers_in_sql_equal_the_python_path(every_kind):
    listed, _entries = every_kind
    questions = list(listed.round.questions.order_by("order"))
    ranking = round_ranking(round=listed.round, method="normalized")
    in_sql = list(ranking_rows(ranking, questions=questions, answers_in_sql=True))
    in_python = list(ranking_rows(ranking, questions=questions, answers_in_sql=False))
    assert in_sql == in_python
    assert any(row[FIXED] is not None for row in in_sql)


def test_postgresql_builds_the_answers_in_sql(every_kind, django_assert_num_queries):
    assert answers_in_sql()
    listed, _entries = every_kind
    with django_assert_num_queries(2) as context:  # the round's questions, then the rows
        list(iter_csv(listed))
    assert "jsonb_array_elements_text" in context.captured_queries[-1]["sql"]
