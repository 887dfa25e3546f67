"""The coordinator's workplace: the ranking's order, counts and downloads, the dashboard's
cards, an application's reviews, the overdue reminder, and what a newcomer saw."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from applications.enums import ApplicationStatus
from applications.services import decide_application
from incubator.enums import Track
from notifications import enums as events
from notifications.models import Notification
from reviews import charts
from reviews.models import Assignment, Review, Shortlist, ShortlistEntry
from reviews.scoring import ensure_calibration
from reviews.services import remind_overdue_reviewers
from tests.factories import (
    ApplicationFactory,
    CoordinatorFactory,
    ReviewerFactory,
    RoundFactory,
    ShortlistEntryFactory,
    ShortlistFactory,
    UserFactory,
)
from tests.reviews.scoring import rubric, scored_application
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

RANKING = "/admin/reviews/review/ranking/"


@pytest.fixture
def coordinator(client):
    user = CoordinatorFactory(username="grace", first_name="Grace", last_name="Hopper")
    force_login_verified(client, user)
    return user


@pytest.fixture
def round_():
    round_ = RoundFactory(name="Spring")
    ada = ReviewerFactory(username="ada", first_name="Ada", last_name="Lovelace")
    bob = ReviewerFactory(username="bob")
    scored_application(round_, [9, 6], reviewers=[ada, bob], project_name="Alpha")
    scored_application(round_, [5, 5], reviewers=[ada, bob], project_name="Beta")
    # Gamma's spread is 8.1649…: the downloads show 8.16.
    scored_application(round_, [7, 8, 9], project_name="Gamma")
    ApplicationFactory(round=round_, status=ApplicationStatus.DRAFT, project_name="Draft")
    return round_


def projects(response) -> list[str]:
    return [row.project_name for row in response.context["page"]]


def test_ranking_sorts_by_a_column_both_ways(client, coordinator, round_):
    by_rank = client.get(RANKING, {"round": round_.pk})
    assert projects(by_rank) == ["Gamma", "Alpha", "Beta"]
    by_name = client.get(RANKING, {"round": round_.pk, "order": "project"})
    assert projects(by_name) == ["Alpha", "Beta", "Gamma"]
    reversed_ = client.get(RANKING, {"round": round_.pk, "order": "-project"})
    assert projects(reversed_) == ["Gamma", "Beta", "Alpha"]
    by_spread = client.get(RANKING, {"round": round_.pk, "order": "-spread"})
    assert projects(by_spread) == ["Alpha", "Gamma", "Beta"]
    # The header links turn the sorted column round and keep the filters.
    header = next(c for c in by_name.context["columns"] if c["label"] == "Project")
    assert header["sorted"] is True
    assert header["url"] == f"?round={round_.pk}&order=-project"


def test_ranking_unknown_order_is_named_not_a_500(client, coordinator, round_):
    response = client.get(RANKING, {"round": round_.pk, "order": "secret"})
    assert response.status_code == 200
    assert response.context["errors"] == ["Unknown column to sort by “secret”."]
    assert projects(response) == ["Gamma", "Alpha", "Beta"]


def test_ranking_shows_the_rounds_counts(client, coordinator, round_):
    counts = client.get(RANKING, {"round": round_.pk}).context["counts"]
    assert (counts.applications, counts.handed_in) == (4, 3)
    assert (counts.submitted, counts.assigned, counts.scored, counts.flagged) == (7, 7, 3, 1)


def test_ranking_flagged_only_lists_the_flagged(client, coordinator, round_):
    scored_application(round_, [10, 2], project_name="Split")
    response = client.get(RANKING, {"round": round_.pk, "flagged": "1"})
    assert projects(response) == ["Alpha", "Split"]


def test_ranking_downloads_the_rows_as_shown(client, coordinator, round_):
    response = client.get(RANKING, {"round": round_.pk, "order": "project", "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="Spring - ranking.csv"'
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][:4] == ["Rank", "Application ID", "Startup", "Project"]
    # Rank, project, raw score, spread (after the normalised and calibrated scores).
    assert [(row[0], row[3], row[11], row[14]) for row in rows[1:]] == [
        ("2", "Alpha", "75.0", "15.0"),
        ("3", "Beta", "50.0", "0.0"),
        ("1", "Gamma", "80.0", "8.16"),
    ]
    xlsx = client.get(RANKING, {"round": round_.pk, "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    assert [cell.value for cell in sheet[2]][3] == "Gamma"
    assert [sheet.cell(row=r, column=15).value for r in (2, 3, 4)] == [8.16, 15.0, 0.0]


def test_ranking_unknown_export_is_404(client, coordinator, round_):
    assert client.get(RANKING, {"round": round_.pk, "export": "pdf"}).status_code == 404


def test_ranking_reviewer_is_refused(client, round_):
    force_login_verified(client, ReviewerFactory(username="eve"))
    assert client.get(RANKING, {"round": round_.pk, "export": "csv"}).status_code == 403


def test_ranking_query_count_does_not_grow_with_rows(client, coordinator, round_):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(RANKING, {"round": round_.pk}).status_code == 200
        return len(queries)

    count()  # the first request fills per-process caches (content types, permissions)
    few = count()
    for index in range(6):
        scored_application(round_, [index + 1, 5], project_name=f"More {index}")
    ensure_calibration(round_)  # what the task does after the reviews' commit
    assert count() == few


def test_dashboard_cards_link_to_the_filtered_lists(client, coordinator, round_):
    page = client.get("/admin/dashboard/", {"round": round_.pk}).content.decode()
    links = dict(re.findall(r'<a class="tile[^"]*" id="(card-[a-z]+)" href="([^"]+)"', page))
    assert links == {
        "card-applications": f"/admin/applications/application/?round__id__exact={round_.pk}",
        "card-reviews": (
            f"/admin/reviews/review/?assignment__application__round__id__exact={round_.pk}"
        ),
        "card-scored": f"{RANKING}?round={round_.pk}",
        "card-flagged": f"{RANKING}?round={round_.pk}&amp;flagged=1&amp;order=-spread",
    }
    for url in links.values():
        assert client.get(url.replace("&amp;", "&")).status_code == 200


def test_dashboard_flagged_bars_keep_one_decimal_apart():
    svg = charts.bar_chart([("A", 16.5), ("B", 15.5), ("C", 3)], title="Spread")
    values = re.findall(r'<text class="value"[^>]*>([^<]*)</text>', svg)
    assert values == ["16.50", "15.50", "3"]


def test_application_page_shows_reviews_scores_and_history(client, coordinator, round_):
    alpha = Review.objects.get(
        assignment__application__project_name="Alpha", assignment__reviewer__username="ada"
    ).assignment.application
    Review.objects.filter(assignment__application=alpha).update(comment="Strong team")
    decide_application(
        application=alpha,
        status=ApplicationStatus.SHORTLISTED,
        actor=coordinator,
        note="Board liked the pilot",
        message_to_applicant="",
    )
    url = reverse("admin:applications_application_change", args=[alpha.pk])
    page = client.get(url).content.decode()
    assert "Reviews and scores" in page
    assert "Ada Lovelace" in page
    assert "Overall: 9/10" in page
    assert "90.00" in page
    assert "Strong team" in page
    assert "Board liked the pilot" in page


def test_application_page_reviews_query_count_is_constant(client, coordinator, round_):
    application = scored_application(round_, [4], project_name="Counted")
    url = reverse("admin:applications_application_change", args=[application.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    count()  # the first request fills per-process caches (content types, permissions)
    one = count()
    rubric(round_)
    for _ in range(3):
        reviewer = ReviewerFactory()
        assignment = Assignment.objects.create(
            application=application, reviewer=reviewer, due_at=round_.review_deadline
        )
        Review.objects.create(assignment=assignment)
    assert count() == one


def test_application_page_reviews_hidden_from_other_staff(client, round_):
    staff = UserFactory(username="clerk", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_application"))
    force_login_verified(client, staff)
    application = round_.applications.get(project_name="Alpha")
    page = client.get(reverse("admin:applications_application_change", args=[application.pk]))
    assert page.status_code == 200
    assert "Reviews and scores" not in page.content.decode()


def test_remind_overdue_writes_one_email_per_assignment_per_day(coordinator, round_):
    now = timezone.now()
    late = Assignment.objects.filter(application__project_name="Beta").order_by("pk")
    Review.objects.filter(assignment__in=late).update(status="draft")
    late.update(due_at=now - timedelta(days=1))
    on_time = Assignment.objects.filter(application__project_name="Gamma").first()
    result = remind_overdue_reviewers(assignments=[*late, on_time], actor=coordinator, now=now)
    assert (result.sent, result.already, result.not_overdue) == (2, 0, 1)
    rows = Notification.objects.filter(event=events.REVIEW_OVERDUE).order_by("recipient")
    assert [row.recipient for row in rows] == ["ada@example.org", "bob@example.org"]
    again = remind_overdue_reviewers(assignments=late, actor=coordinator, now=now)
    assert (again.sent, again.already) == (0, 2)
    tomorrow = remind_overdue_reviewers(
        assignments=late, actor=coordinator, now=now + timedelta(days=1)
    )
    assert tomorrow.sent == 2


def test_remind_overdue_action_in_the_admin(client, coordinator, round_):
    late = Assignment.objects.filter(application__project_name="Beta").order_by("pk")
    Review.objects.filter(assignment__in=late).update(status="draft")
    late.update(due_at=timezone.now() - timedelta(hours=2))
    response = client.post(
        reverse("admin:reviews_assignment_changelist"),
        {"action": "remind_reviewers", "_selected_action": [a.pk for a in late]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "2 reminders e-mailed to the reviewers."
    ]
    row = Notification.objects.get(recipient="ada@example.org", event=events.REVIEW_OVERDUE)
    assert row.payload["template"] == "review_overdue"
    overdue = client.get(reverse("admin:reviews_assignment_changelist"), {"overdue": "yes"})
    assert sorted(a.pk for a in overdue.context["cl"].result_list) == [a.pk for a in late]


def test_remind_overdue_refused_to_a_reviewer(client, round_):
    force_login_verified(client, ReviewerFactory(username="eve"))
    response = client.post(
        reverse("admin:reviews_assignment_changelist"),
        {"action": "remind_reviewers", "_selected_action": [1]},
    )
    assert Notification.objects.filter(event=events.REVIEW_OVERDUE).count() == 0
    assert response.status_code in (200, 302)


def test_reviewers_shown_by_full_name_to_coordinators(client, coordinator, round_):
    assignments = client.get(reverse("admin:reviews_assignment_changelist")).content.decode()
    reviews = client.get(reverse("admin:reviews_review_changelist")).content.decode()
    stats = client.get(
        reverse("admin:reviews_reviewer_statistics"), {"round": round_.pk}
    ).content.decode()
    for page in (assignments, reviews, stats):
        assert ">Ada Lovelace<" in page
        assert ">bob<" in page  # no full name: the user name


def test_list_columns_operators_need_come_first(client, coordinator, round_):
    applications = client.get(reverse("admin:applications_application_changelist"))
    assert applications.context["cl"].list_display[1:5] == [
        "project_name",
        "stage",
        "status",
        "submitted_at",
    ]
    outbox = client.get(reverse("admin:notifications_notification_changelist"))
    assert outbox.context["cl"].list_display[1:5] == [
        "event_name",
        "status",
        "attempts",
        "sent_at",
    ]


def test_dashboard_css_leaves_the_admin_home_wide():
    css = (Path(settings.BASE_DIR) / "reviews/static/reviews/dashboard.css").read_text()
    widths = re.findall(r"([^{}]+)\{[^}]*max-width", css)
    assert [selector.strip().splitlines()[-1] for selector in widths] == [
        ".coordinator-dashboard #content-main.dashboard"
    ]


def test_shortlist_page_says_its_filters_and_why_ranks_are_missing(client, coordinator, round_):
    shortlist = ShortlistFactory(
        round=round_, name="Top 6", size=6, filters={"track": Track.HEALTHCARE, "min_reviews": 2}
    )
    for rank in (2, 3, 4, 8, 9, 10):
        ShortlistEntryFactory(shortlist=shortlist, rank=rank)
    page = client.get(reverse("admin:reviews_shortlist_change", args=[shortlist.pk]))
    text = page.content.decode()
    assert (
        "Made from the ranking with these filters: track is “Healthcare”; at least 2 submitted "
        "reviews; only applications under review, shortlisted or accepted; the first 6 of them."
    ) in text.replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert "Ranks 1, 5, 6, 7 are missing" in text
    assert "Without a status filter" in text
    with translation.override("zh-hant"):
        page = client.get(
            reverse("admin:reviews_shortlist_change", args=[shortlist.pk]),
            HTTP_ACCEPT_LANGUAGE="zh-hant",
        ).content.decode()
    assert "第 1, 5, 6, 7 名" in page


def test_shortlist_scores_shown_with_one_rounding_rule(client, coordinator, round_):
    shortlist = ShortlistFactory(round=round_, name="Close")
    ShortlistEntryFactory(
        shortlist=shortlist, rank=1, raw_score=80.66666666666667, spread=2.495, normalized_score=0.1
    )
    page = client.get(reverse("admin:reviews_shortlist_change", args=[shortlist.pk]))
    text = page.content.decode()
    assert "80.67" in text
    assert "2.50" in text
    assert "0.10" in text
    assert Shortlist.objects.count() == 1
    assert ShortlistEntry.objects.get().spread == 2.495  # stored in full
