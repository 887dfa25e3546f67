"""One-line and long text: which characters people may store (incubator/text.py)."""

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from incubator.text import check_text, text_errors
from tests.factories import CoordinatorFactory, RoundFactory, ServiceProviderFactory

ONE_LINE = "Use a single line of text without control characters (found {})."
LONG_TEXT = "Control characters such as {} are not allowed; only line breaks and tabs are."


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("\u0097", "U+0097"),
        ("Acme\x00", "U+0000"),
        ("Acme\x1b[0m", "U+001B"),
        ("Acme\x7f", "U+007F"),
        ("Acme\nLtd", "U+000A"),
        ("Acme\tLtd", "U+0009"),
        ("Acme\rLtd", "U+000D"),
        ("Acme\u202eLtd", "U+202E"),
        ("Acme\u2066Ltd", "U+2066"),
        ("Acme\u200bLtd", "U+200B"),
        ("\ufeffAcme", "U+FEFF"),
        ("Acme\u00ad", "U+00AD"),
    ],
)
def test_text_errors_one_line_refuses_every_control_character(value, code):
    assert text_errors({"name": value}) == {"name": [ONE_LINE.format(code)]}


@pytest.mark.parametrize(
    ("value", "code"),
    [("\u0097", "U+0097"), ("a\x00b", "U+0000"), ("a\x0bb", "U+000B"), ("a\u202eb", "U+202E")],
)
def test_text_errors_long_text_refuses_controls_but_line_breaks_and_tabs(value, code):
    assert text_errors({"summary": value}, long=["summary"]) == {
        "summary": [LONG_TEXT.format(code)]
    }


@pytest.mark.parametrize(
    "value",
    [
        "Pearl River Ledger",
        "區塊鏈 科技",
        "Ａ\u00a0Ｂ",
        "שלום",
        "e\u0301",
        "🚀",
        "",
        "O'Brien & Co.",
    ],
)
def test_text_errors_accepts_what_people_type(value):
    assert (
        text_errors({"name": value, "summary": f"{value}\r\n\t{value}\n"}, long=["summary"]) == {}
    )


def test_text_errors_lone_surrogate_is_invalid():
    assert text_errors({"name": "a\ud800b"}) == {"name": ["The text contains invalid characters."]}


def test_check_text_names_every_bad_field_and_ignores_non_text():
    with pytest.raises(ValidationError) as refused:
        check_text(
            {"name": "a\x07", "team_size": 5, "notes": "ok\n", "bio": "\x00"}, long=["notes"]
        )

    assert refused.value.message_dict == {
        "name": [ONE_LINE.format("U+0007")],
        "bio": [ONE_LINE.format("U+0000")],
    }


@pytest.mark.django_db
def test_round_and_provider_names_refuse_control_characters():
    client = APIClient()
    client.force_authenticate(CoordinatorFactory())
    round_ = RoundFactory()
    provider = ServiceProviderFactory()

    answers = [
        client.patch(f"/api/v1/rounds/{round_.pk}/", {"name": "Autumn\u0097"}, format="json"),
        client.patch(f"/api/v1/providers/{provider.pk}/", {"name": "Fund\u202e"}, format="json"),
    ]

    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == {"name": [ONE_LINE.format("U+0097")]}
    assert answers[1].json() == {"name": [ONE_LINE.format("U+202E")]}
