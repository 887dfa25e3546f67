"""Numbers and dates in the reader's language: thousands grouped in Chinese too, whole dates."""

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import formats, translation

LANGUAGES = ("en", "zh-hans", "zh-hant")
MOMENT = datetime.datetime(2027, 1, 25, 15, 5)  # naive: formatting only, no time zone


@pytest.mark.parametrize("language", LANGUAGES)
def test_locale_formats_amount_groups_thousands_with_commas(language):
    with translation.override(language):
        grouped = formats.number_format(Decimal("1234567.5"), 2, force_grouping=True)

    assert grouped == "1,234,567.50"


@pytest.mark.parametrize("language", LANGUAGES)
def test_locale_formats_floatformat_g_groups_in_every_language(language):
    template = Template('{{ amount|floatformat:"2g" }} · {{ count|floatformat:"0g" }}')

    with translation.override(language):
        text = template.render(Context({"amount": Decimal("800000"), "count": 12345}))

    assert text == "800,000.00 · 12,345"


@pytest.mark.parametrize("language", LANGUAGES)
def test_locale_formats_ids_stay_ungrouped(language):
    # Ids go into URLs, hidden inputs and query strings: no separator unless asked for.
    with translation.override(language):
        text = Template("{{ pk }}").render(Context({"pk": 1234567}))

    assert text == "1234567"


@pytest.mark.parametrize(
    ("language", "date", "moment"),
    [
        ("en", "Jan. 25, 2027", "Jan. 25, 2027, 3:05 p.m."),
        ("zh-hans", "2027年1月25日", "2027年1月25日 15:05"),
        ("zh-hant", "2027年1月25日", "2027年1月25日 15:05"),
    ],
)
def test_locale_formats_dates_read_in_the_language(language, date, moment):
    with translation.override(language):
        shown = (formats.date_format(MOMENT), formats.date_format(MOMENT, "DATETIME_FORMAT"))

    assert shown == (date, moment)
