"""The reviewer's workplace shows amounts and due dates in the reader's language."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("language", "due", "amount"),
    [
        ("en", "Jan. 25, 2027, 3:05 p.m.", "1,234,567 HKD"),
        ("zh-hans", "2027年1月25日 15:05", "1,234,567 HKD"),
        ("zh-hant", "2027年1月25日 15:05", "1,234,567 HKD"),
    ],
)
def test_workplace_due_date_and_funding_in_the_readers_format(
    client, reviewing_round, language, due, amount
):
    review = reviewing_round["reviews"][0]
    application = reviewing_round["application"]
    application.funding_amount, application.funding_currency = Decimal("1234567.00"), "HKD"
    application.save(update_fields=["funding_amount", "funding_currency"])
    assignment = review.assignment
    assignment.due_at = datetime.datetime(2027, 1, 25, 15, 5, tzinfo=SHANGHAI)
    assignment.save(update_fields=["due_at"])
    force_login_verified(client, assignment.reviewer)

    page = client.get(
        reverse("admin:reviews_review_change", args=[review.pk]), HTTP_ACCEPT_LANGUAGE=language
    )

    text = page.content.decode()
    assert page.status_code == 200
    assert f'<html lang="{language}"' in text
    assert due in text
    assert amount in text
    assert "一月" not in text
