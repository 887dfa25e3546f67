"""The coordinator dashboard: its numbers, who reaches it, and a constant number of queries."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from applications.enums import ApplicationStatus
from incubator.enums import Region, Track
from notifications.enums import NotificationStatus
from notifications.models import Notification
from reviews.dashboard import round_dashboard
from reviews.models import Assignment
from reviews.scoring import ensure_calibration
from tests.factories import (
    ApplicationFactory,
    NotificationFactory,
    ReviewerFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)
from tests.reviews.scoring import scored_application
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


@pytest.fixture
def round_():
    round_ = RoundFactory(name="Spring")
    harsh, kind = ReviewerFactory(username="harsh"), ReviewerFactory(username="kind")
    scored_application(round_, [9, 2], reviewers=[harsh, kind], track=Track.HEALTHCARE)
    scored_application(
        round_,
        [6, 6],
        reviewers=[harsh, kind],
        startup=StartupFactory(region=Region.HONG_KONG),
    )
    ApplicationFactory(round=round_, status=ApplicationStatus.DRAFT)
    waiting = ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    Assignment.objects.create(application=waiting, reviewer=harsh, due_at=round_.review_deadline)
    return round_


def stale_notification() -> Notification:
    """Never attempted, created long before its lease and three re-dispatch intervals ran out."""
    row = NotificationFactory(next_attempt_at=timezone.now() - timedelta(hours=1))
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=2))
    return row


def values(bars):
    return {bar.key: bar.value for bar in bars if bar.value}


def test_round_dashboard_counts(round_):
    data = round_dashboard(round=round_)

    assert data.total == 4
    assert values(data.by_status) == {"draft": 1, "under_review": 3}
    assert values(data.by_region) == {"guangzhou": 3, "hong_kong": 1}
    assert values(data.by_track) == {"finance": 3, "healthcare": 1}
    assert [(r.name, r.assigned, r.submitted) for r in data.reviewers] == [
        ("harsh", 3, 2),
        ("kind", 2, 2),
    ]
    assert values(data.score_bands) == {"50": 1, "60": 1}
    assert (data.scored, data.flagged_count) == (2, 1)
    assert [(f.raw_score, f.spread, f.review_count) for f in data.flagged] == [(55.0, 35.0, 2)]


def test_dashboard_page_shows_the_charts(client, coordinator, round_):
    force_login_verified(client, coordinator)

    response = client.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('<svg class="chart"') == 6
    assert "Spring" in content
    assert "harsh" in content


def test_dashboard_unknown_round_is_404(client, coordinator, round_):
    force_login_verified(client, coordinator)

    assert client.get(URL, {"round": 99999}).status_code == 404


def test_dashboard_without_rounds_says_so(client, coordinator):
    force_login_verified(client, coordinator)

    response = client.get(URL)

    assert response.status_code == 200
    assert "There is no round yet." in response.content.decode()


def test_dashboard_anonymous_is_sent_to_log_in(round_):
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/dashboard/"


def test_dashboard_is_forbidden_to_other_roles(round_):
    member = UserFactory()
    StartupFactory(members=[member])
    for user in (ReviewerFactory(), member):
        client = Client()
        force_login_verified(client, user)
        assert client.get(URL).status_code == 403


def test_admin_index_links_the_dashboard_for_coordinators_only(client, coordinator):
    force_login_verified(client, coordinator)
    assert 'href="/admin/dashboard/"' in client.get("/admin/").content.decode()

    force_login_verified(client, ReviewerFactory())
    assert 'href="/admin/dashboard/"' not in client.get("/admin/").content.decode()


def test_dashboard_query_count_is_constant(client, coordinator, django_assert_num_queries):
    round_ = RoundFactory()
    reviewers = [ReviewerFactory(), ReviewerFactory()]
    scored_application(round_, [5, 9], reviewers=reviewers)
    force_login_verified(client, coordinator)
    NotificationFactory()
    ensure_calibration(round_)  # what the task does after the reviews' commit
    # The page's queries (the stored fit's freshness: two), the outbox card's, the device that
    # verified the session, and the partners' engagement card (six: partners/selectors.py
    # round_engagement).
    with django_assert_num_queries(22) as one:
        client.get(URL)

    for index in range(15):
        scored_application(
            round_,
            [1 + index % 10, 10 - index % 10],
            reviewers=reviewers,
            track=Track.values[index % 8],
            startup=StartupFactory(region=Region.values[index % 12]),
        )
    for _ in range(5):
        NotificationFactory(status=NotificationStatus.FAILED)
        stale_notification()
    ensure_calibration(round_)
    with django_assert_num_queries(22) as many:
        client.get(URL)

    assert len(one.captured_queries) == len(many.captured_queries)


def test_dashboard_in_the_coordinators_language(client, coordinator, round_):
    force_login_verified(client, coordinator)

    content = client.get(URL, HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()

    assert "協調員儀表板" in content
    assert "按地區統計的申請" in content
    assert '<span class="caption">等候發送</span>' in content


OUTBOX = "/admin/notifications/notification/"


def tile(count: int, caption: str, query: str, *, warn: bool) -> str:
    css = "tile warn" if warn else "tile"
    return (
        f'<a class="{css}" href="{OUTBOX}?{query}"><span class="figure">{count}</span>'
        f'<span class="caption">{caption}</span></a>'
    )


def test_dashboard_outbox_card_counts_and_links_to_the_filtered_list(client, coordinator):
    stale_notification()
    NotificationFactory(next_attempt_at=timezone.now() + timedelta(minutes=2))
    NotificationFactory(status=NotificationStatus.FAILED)
    NotificationFactory(status=NotificationStatus.FAILED)
    NotificationFactory(status=NotificationStatus.SENT)
    force_login_verified(client, coordinator)

    content = client.get(URL).content.decode()  # no round yet: the card shows all the same

    assert tile(2, "waiting to be sent", "status__exact=pending", warn=False) in content
    assert tile(1, "stale", "stale=yes", warn=True) in content
    assert tile(2, "failed", "status__exact=failed", warn=True) in content
    assert "There is no round yet." in content


def test_dashboard_outbox_card_all_quiet_has_no_warning(client, coordinator, round_):
    force_login_verified(client, coordinator)

    content = client.get(URL).content.decode()

    assert tile(0, "stale", "stale=yes", warn=False) in content
    assert tile(0, "failed", "status__exact=failed", warn=False) in content


def test_notification_admin_stale_filter_lists_the_stale_rows_only(client, coordinator):
    stale = stale_notification()
    NotificationFactory(next_attempt_at=timezone.now() + timedelta(minutes=2))
    NotificationFactory(status=NotificationStatus.FAILED)
    force_login_verified(client, coordinator)

    response = client.get(OUTBOX, {"stale": "yes"})

    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [stale.pk]
