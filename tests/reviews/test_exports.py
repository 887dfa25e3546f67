"""The export service: CSV and XLSX round trips, labels, numbers, formula neutralisation."""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape
from rest_framework.test import APIClient

from applications.enums import ApplicationStatus
from incubator.enums import Currency, Region, Stage, Track
from reviews.exports import export_filename, headers, iter_csv, write_xlsx
from reviews.models import Score, Shortlist
from reviews.shortlists import create_shortlist
from tests.factories import ReviewerFactory, RoundFactory, StartupFactory
from tests.reviews.scoring import scored_application

pytestmark = pytest.mark.django_db

ENGLISH_HEADERS = [
    "Rank",
    "Application ID",
    "Startup",
    "Project",
    "Region",
    "Track",
    "Stage",
    "Needs",
    "Funding amount",
    "Funding currency",
    "Reviews",
    "Raw score",
    "Normalised score",
    "Calibrated score",
    "Spread",
    "Status",
    "Contact e-mail",
]
INJECTIONS = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rReturn"]


def neutralize(text):
    """What a neutralised cell holds: OWASP's leading apostrophe before a formula prefix."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


@pytest.fixture
def shortlist(coordinator):
    """Names in Chinese, Portuguese and emoji, every injection prefix, a negative z-score."""
    round_ = RoundFactory(name="2026 秋季 intake")
    names = ["区块链金融科技有限公司", "Soluções Açaí Ltda 🚀", *INJECTIONS]
    # The same two reviewers score everything, so z-scores spread around 0.
    reviewers = [ReviewerFactory(), ReviewerFactory()]
    for index, name in enumerate(names):
        scored_application(
            round_,
            [10 - index, 9 - index],
            reviewers=reviewers,
            startup=StartupFactory(
                name=name, region=Region.HONG_KONG, contact_email=f"c{index}@example.org"
            ),
            project_name=f"{name} project",
            track=Track.SUPPLY_CHAIN,
            stage=Stage.PILOT,
            needs_fund=True,
            needs_testing=True,
            funding_amount=Decimal("1234567.89"),
            funding_currency=Currency.HKD,
        )
    return create_shortlist(
        round=round_, name="Top/８: 决赛", actor=coordinator, size=len(names), method="normalized"
    )


def two_places(value):
    """Exports show scores to two decimals, rounded half up (the API keeps every digit)."""
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected_rows(shortlist, *, neutralized=True):
    text = neutralize if neutralized else str
    rows = []
    for entry in shortlist.entries.select_related("application__startup").order_by("rank"):
        application = entry.application
        rows.append(
            [
                entry.rank,
                application.pk,
                text(application.startup.name),
                text(application.project_name),
                "Hong Kong",
                "Supply chain",
                "Pilot",
                "Fund, Testing",
                1234567.89,
                "HKD",
                entry.review_count,
                two_places(entry.raw_score),
                two_places(entry.normalized_score),
                two_places(entry.calibrated_score),
                two_places(entry.spread),
                "Under review",
                application.startup.contact_email,
            ]
        )
    return rows


def read_csv(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content[3:].decode("utf-8"), newline="")))


def csv_typed(row):
    numeric = {0, 1, 8, 10, 11, 12, 13, 14}
    return [
        (float(value) if index in {8, 11, 12, 13, 14} else int(value))
        if index in numeric
        else value
        for index, value in enumerate(row)
    ]


def test_csv_round_trip_equals_the_entries(shortlist):
    rows = read_csv(b"".join(iter_csv(shortlist)))

    assert rows[0] == ENGLISH_HEADERS
    assert [csv_typed(row) for row in rows[1:]] == expected_rows(shortlist)
    assert rows[1][2] == "区块链金融科技有限公司"
    assert rows[2][2] == "Soluções Açaí Ltda 🚀"


def test_csv_neutralises_every_formula_prefix(shortlist):
    startups = [row[2] for row in read_csv(b"".join(iter_csv(shortlist)))[1:]]

    assert startups[2:] == ["'" + text for text in INJECTIONS]


def test_xlsx_round_trip_keeps_numbers_numeric(shortlist, tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(shortlist, str(path))

    sheet = load_workbook(path).active
    # The file stores a carriage return as _x000D_ (the OOXML escape Excel reads back as CR);
    # openpyxl leaves it escaped on reading.
    rows = [
        [unescape(value) if isinstance(value, str) else value for value in row]
        for row in sheet.iter_rows(values_only=True)
    ]
    assert rows[0] == ENGLISH_HEADERS
    # XLSX stores numbers with 16 significant digits (Excel itself computes with 15).
    assert rows[1:] == [
        [pytest.approx(v, rel=1e-15) if isinstance(v, float) else v for v in row]
        for row in expected_rows(shortlist, neutralized=False)
    ]
    # Text as typed, stored as text: no apostrophe, and never a formula.
    assert [row[2] for row in rows[3:]] == INJECTIONS
    assert {cell.data_type for cell in sheet["C"][1:]} == {"s"}
    negative = [row[12] for row in rows[1:] if row[12] < 0]
    assert negative
    assert all(isinstance(value, float) for value in negative)
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b is True
    for row in sheet.iter_rows(min_row=2):
        assert all(cell.data_type != "f" for cell in row)
    assert all(cell.data_type == "n" for cell in sheet["M"][1:])


def test_calibrated_score_column_follows_the_normalised_one(shortlist):
    rows = read_csv(b"".join(iter_csv(shortlist)))
    place = rows[0].index("Calibrated score")
    assert rows[0][place - 1] == "Normalised score"
    entries = shortlist.entries.order_by("rank")
    # Two reviewers score all eight applications: the model is fitted, not the raw fallback.
    assert all(entry.calibrated_score is not None for entry in entries)
    assert [float(row[place]) for row in rows[1:]] == [
        two_places(entry.calibrated_score) for entry in entries
    ]
    assert any(entry.calibrated_score != entry.raw_score for entry in entries)


def test_csv_quotes_every_field(shortlist):
    content = b"".join(iter_csv(shortlist))[3:].decode()
    first_row = content.splitlines()[1]
    entry = shortlist.entries.order_by("rank").first()

    assert content.splitlines()[0] == ",".join(f'"{header}"' for header in ENGLISH_HEADERS)
    assert first_row.startswith(f'"1","{entry.application_id}","区块链金融科技有限公司",')
    assert first_row.endswith(',"Under review","c0@example.org"')


SEPARATED = [
    ("Acme;=HYPERLINK(1)", "Acme;'=HYPERLINK(1)"),
    ("Beta,+SUM(A1)", "Beta,'+SUM(A1)"),
    ("Gamma;-2,@cmd", "Gamma;'-2,'@cmd"),
    ("Delta;\tTab,\rReturn", "Delta;'\tTab,'\rReturn"),
    ("=Epsilon;=1", "'=Epsilon;'=1"),
    ("Zeta; =2, Ltd.", "Zeta; =2, Ltd."),
    ("Eta;;=3", "Eta;;'=3"),
]


@pytest.fixture
def separated_shortlist(coordinator):
    round_ = RoundFactory()
    reviewers = [ReviewerFactory(), ReviewerFactory()]
    for index, (name, _expected) in enumerate(SEPARATED):
        scored_application(
            round_,
            [10 - index, 9 - index],
            reviewers=reviewers,
            startup=StartupFactory(name=name),
            project_name=f"{name} project",
        )
    return create_shortlist(round=round_, name="Split", actor=coordinator, size=len(SEPARATED))


def test_csv_neutralises_formulas_after_a_separator_inside_a_cell(separated_shortlist):
    rows = read_csv(b"".join(iter_csv(separated_shortlist)))[1:]

    assert [row[2] for row in rows] == [expected for _name, expected in SEPARATED]
    assert [row[3] for row in rows] == [f"{expected} project" for _name, expected in SEPARATED]


def test_csv_split_on_semicolons_starts_no_cell_with_a_formula(separated_shortlist):
    # A spreadsheet told to split on ";" (ignoring the quotes) sees these cells.
    content = b"".join(iter_csv(separated_shortlist))[3:].decode()
    cells = [cell.strip('"') for line in content.split("\r\n")[1:] for cell in line.split(";")]

    assert [cell for cell in cells if cell[:1] in {"=", "+", "-", "@", "\t", "\r"}] == []


def test_xlsx_keeps_text_with_separators_as_typed(separated_shortlist, tmp_path):
    path = tmp_path / "out.xlsx"
    write_xlsx(separated_shortlist, str(path))

    sheet = load_workbook(path).active
    names = [unescape(cell.value) for cell in sheet["C"][1:]]
    assert names == [name for name, _expected in SEPARATED]
    assert {cell.data_type for cell in sheet["C"][1:]} == {"s"}


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("x" * 30 + "'s finalists", "x" * 30),  # an apostrophe left at the cut
        ("'Quoted'", "Quoted"),
        ("Top/8: [final]?", "Top 8 final"),
        ("🚀" * 20, "🚀" * 15),  # 31 UTF-16 units at most: 15 rockets, not 31
        ("History", "Shortlist"),
        ("'''", "Shortlist"),
        ("Line\x97break\ttab", "Line break tab"),
    ],
)
def test_xlsx_sheet_name_follows_excels_rules(name, sheet, coordinator, tmp_path):
    round_ = RoundFactory()
    scored_application(round_, [8, 7], reviewers=[ReviewerFactory(), ReviewerFactory()])
    shortlist = create_shortlist(round=round_, name="Any", actor=coordinator, size=1)
    # Stored as it is, as a name saved before names refused control characters would be.
    Shortlist.objects.filter(pk=shortlist.pk).update(name=name)
    shortlist.refresh_from_db()
    path = tmp_path / "out.xlsx"

    write_xlsx(shortlist, str(path))

    assert load_workbook(path).sheetnames == [sheet, "Settings"]


def test_xlsx_api_export_of_a_name_cut_at_an_apostrophe_answers_200(coordinator):
    round_ = RoundFactory()
    scored_application(round_, [8, 7], reviewers=[ReviewerFactory(), ReviewerFactory()])
    shortlist = create_shortlist(
        round=round_, name="Greater Bay Area finalists, Q4'26", actor=coordinator, size=1
    )
    client = APIClient()
    client.force_authenticate(coordinator)

    response = client.get(f"/api/v1/shortlists/{shortlist.pk}/export.xlsx")

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.sheetnames == ["Greater Bay Area finalists, Q4", "Settings"]


def test_export_headers_in_the_admins_language(shortlist):
    rows = read_csv(b"".join(iter_csv(shortlist, language="zh-hans")))

    assert rows[0][:3] == headers("zh-hans")[:3]
    assert rows[0][0] != "Rank"
    assert rows[1][4] == "Hong Kong"  # values stay English labels


def test_export_is_a_snapshot_after_scores_change(shortlist):
    before = b"".join(iter_csv(shortlist))

    Score.objects.update(value=1)

    assert b"".join(iter_csv(shortlist)) == before


def test_export_shows_the_current_status(shortlist):
    entry = shortlist.entries.order_by("rank").first()
    entry.application.status = ApplicationStatus.SHORTLISTED
    entry.application.save(update_fields=["status"])

    assert read_csv(b"".join(iter_csv(shortlist)))[1][15] == "Shortlisted"


def test_export_filename_is_safe_and_keeps_letters(shortlist):
    assert export_filename(shortlist, "csv") == "2026 秋季 intake - Top-８- 决赛.csv"


def test_export_command_writes_both_formats(shortlist, tmp_path):
    call_command("export_shortlist", shortlist.pk, "--format", "csv", "--output", tmp_path)
    xlsx = tmp_path / "list.xlsx"
    call_command("export_shortlist", shortlist.pk, "--format", "xlsx", "--output", str(xlsx))

    written = (tmp_path / export_filename(shortlist, "csv")).read_bytes()
    assert written == b"".join(iter_csv(shortlist))
    assert load_workbook(xlsx).active.max_row == shortlist.entries.count() + 1


def test_export_command_unknown_shortlist_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no shortlist with id 999"):
        call_command("export_shortlist", 999, "--output", str(tmp_path))
