"""Quotas on shortlists (DESIGN.md §14): the algorithm case by case, the API's answers and
refusals, the admin form and page, and the XLSX's "Settings" sheet."""

import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from incubator.enums import Region
from reviews.exports import write_xlsx
from reviews.models import Shortlist
from reviews.shortlists import apply_quotas, create_shortlist
from tests.factories import ReviewerFactory, RoundFactory, StartupFactory
from tests.reviews.scoring import scored_application
from tests.twofactor import force_login_verified

SHORTLISTS = "/api/v1/shortlists/"


def rows(spec: str) -> list[tuple[int, str]]:
    """ "MHMC" → [(1, "mainland"), (2, "hong_kong"), …]: rank order, one letter a row."""
    names = {"M": "mainland", "H": "hong_kong", "C": "macau"}
    return [(rank, names[letter]) for rank, letter in enumerate(spec, start=1)]


def plan(spec, size, quotas):
    chosen, unmet = apply_quotas(
        candidates=rows(spec), size=size, quotas=quotas, jurisdiction_of=lambda row: row[1]
    )
    return sorted(rank for rank, _j in chosen), unmet


def test_quota_already_met_by_rank_changes_nothing():
    assert plan("MHMMCM", 3, {"hong_kong": 1}) == ([1, 2, 3], {})


def test_quota_takes_the_last_places_with_the_best_ranked_of_its_jurisdiction():
    # Top 3 are mainland; Hong Kong's best (ranks 5 and 7) replace ranks 3 and 2.
    assert plan("MMMMHMHH", 3, {"hong_kong": 2}) == ([1, 5, 7], {})


def test_several_quotas_fill_together_and_never_push_each_other_below():
    # Macau's quota is met at rank 2 and its entry is not given up for Hong Kong's.
    assert plan("MCMMHH", 3, {"hong_kong": 1, "macau": 1}) == ([1, 2, 5], {})
    assert plan("MMMMHC", 2, {"hong_kong": 1, "macau": 1}) == ([5, 6], {})


def test_quota_unmet_when_a_jurisdiction_has_too_few():
    assert plan("MMMHM", 3, {"hong_kong": 2, "macau": 1}) == (
        [1, 2, 4],
        {"hong_kong": 1, "macau": 1},
    )


def test_quota_without_a_size_only_reports():
    assert plan("MMH", None, {"macau": 1}) == ([1, 2, 3], {"macau": 1})


@pytest.fixture
def round_():
    return RoundFactory(name="Quotas")


@pytest.fixture
def ranked(round_):
    """Five ranked applications: three mainland on top, then Hong Kong, then Macau."""
    regions = [
        Region.SHENZHEN,
        Region.GUANGZHOU,
        Region.OUTSIDE_GBA,
        Region.HONG_KONG,
        Region.MACAU,
    ]
    reviewer = ReviewerFactory()
    return [
        scored_application(
            round_, [value], reviewers=[reviewer], startup=StartupFactory(region=region)
        )
        for value, region in zip((10, 9, 8, 7, 6), regions, strict=True)
    ]


@pytest.fixture
def api(client, coordinator):
    force_login_verified(client, coordinator)
    return client


def post(api, body):
    return api.post(SHORTLISTS, body, content_type="application/json")


@pytest.mark.django_db
def test_shortlist_api_with_quotas_answers_quotas_unmet_and_jurisdictions(api, round_, ranked):
    response = post(
        api,
        {"round": round_.pk, "name": "Fair 3", "size": 3, "quotas": {"hong_kong": 1, "macau": 2}},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["quotas"] == {"hong_kong": 1, "macau": 2}
    assert body["unmet_quotas"] == {"macau": 1}
    assert [(e["application"], e["jurisdiction"]) for e in body["entries"]] == [
        (ranked[0].pk, "mainland"),
        (ranked[3].pk, "hong_kong"),
        (ranked[4].pk, "macau"),
    ]
    assert api.get(f"{SHORTLISTS}{body['id']}/").json()["unmet_quotas"] == {"macau": 1}
    plain = post(api, {"round": round_.pk, "name": "Plain", "size": 2}).json()
    assert (plain["quotas"], plain["unmet_quotas"]) == ({}, {})


@pytest.mark.django_db
@pytest.mark.parametrize(
    "quotas",
    [
        {"taiwan": 1},
        {"hong_kong": -1},
        {"hong_kong": 1.5},
        {"hong_kong": "many"},
        {"hong_kong": 2, "macau": 2},  # 4 > size 3
        ["hong_kong"],
    ],
)
def test_shortlist_api_refuses_bad_quotas_naming_the_field(api, round_, ranked, quotas):
    response = post(api, {"round": round_.pk, "name": "Bad", "size": 3, "quotas": quotas})
    assert response.status_code == 400
    assert list(response.json()) == ["quotas"]
    assert not Shortlist.objects.exists()


@pytest.mark.django_db
def test_shortlist_admin_form_takes_quotas_and_the_page_shows_them(api, round_, ranked):
    response = api.post(
        reverse("admin:reviews_shortlist_add"),
        {
            "round": round_.pk,
            "name": "Admin fair",
            "method": "raw",
            "size": 3,
            "quota_macau": 1,
            "quota_hong_kong": 2,
        },
    )
    assert response.status_code == 302, re.findall(r"error.{0,300}", response.content.decode())
    shortlist = Shortlist.objects.get()
    assert shortlist.quotas == {"hong_kong": 2, "macau": 1}
    assert shortlist.unmet_quotas == {"hong_kong": 1}
    page = api.get(reverse("admin:reviews_shortlist_change", args=[shortlist.pk]))
    assert "Hong Kong: 2, Macau: 1" in page.content.decode()
    assert "Hong Kong: 1" in page.content.decode()
    refused = api.post(
        reverse("admin:reviews_shortlist_add"),
        {"round": round_.pk, "name": "Too many", "method": "raw", "size": 1, "quota_macau": 2},
    )
    assert refused.status_code == 200
    assert "more than the shortlist" in refused.content.decode()
    assert Shortlist.objects.count() == 1


@pytest.mark.django_db
def test_xlsx_export_has_a_settings_sheet_in_the_requested_language(
    api, round_, ranked, coordinator
):
    shortlist = create_shortlist(
        round=round_, name="Fair", actor=coordinator, size=2, quotas={"macau": 1, "hong_kong": 1}
    )
    response = api.get(f"{SHORTLISTS}{shortlist.pk}/export.xlsx")
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Fair", "Settings"]
    assert [[cell.value for cell in row] for row in workbook["Settings"].iter_rows()] == [
        ["Setting", "Value"],
        ["Ranking method", "Raw score"],
        ["Size", "2"],
        ["Minimum score", "–"],
        ["Quotas", "Hong Kong: 1, Macau: 1"],
        ["Unmet quotas", "All met"],
    ]
    # The middleware activates the request's language in this thread: restored on leaving.
    with translation.override("en"):
        chinese = api.get(f"{SHORTLISTS}{shortlist.pk}/export.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hant")
    workbook = load_workbook(io.BytesIO(b"".join(chinese.streaming_content)))
    settings_sheet = workbook.worksheets[1]
    assert settings_sheet.title == "設定"
    assert settings_sheet["A5"].value == "配額"


@pytest.mark.django_db
def test_xlsx_of_a_shortlist_named_settings_keeps_both_sheets(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Settings", actor=coordinator, size=1)
    output = io.BytesIO()
    write_xlsx(shortlist, output)
    assert load_workbook(io.BytesIO(output.getvalue())).sheetnames == ["Settings", "Settings 2"]
