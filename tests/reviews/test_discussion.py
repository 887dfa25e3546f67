"""The discussion of an application and the reopening of reviews (DESIGN.md §6, §14): every
role's answer, author labels, the batched e-mails, reopen's 200/409/400 and what it keeps."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import personal
from incubator.models import PartnerAccount
from incubator.permissions import PARTNERS_GROUP
from notifications.emails import render_row
from notifications.models import Notification
from reviews import tasks
from reviews.discussion import notify_new_comments, post_comment
from reviews.enums import ReviewStatus
from reviews.models import (
    Comment,
    ConflictOfInterest,
    Review,
    ReviewerProfile,
    ReviewVersion,
    Score,
)
from reviews.services import withdraw_assignment
from tests.factories import (
    ReviewerFactory,
    ServiceProviderFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


def comments_url(application) -> str:
    return f"/api/v1/applications/{application.pk}/comments/"


def submit(review, *values):
    """Score every criterion (values in criterion order) and mark the review submitted."""
    criteria = review.assignment.application.round.criteria.order_by("order")
    for criterion, value in zip(criteria, values or (8, 4), strict=False):
        Score.objects.update_or_create(
            review=review, criterion=criterion, defaults={"value": value}
        )
    Review.objects.filter(pk=review.pk).update(
        status=ReviewStatus.SUBMITTED, submitted_at=timezone.now()
    )
    review.refresh_from_db()
    return review


@pytest.fixture
def panel(reviewing_round, coordinator):
    """alice and bob submitted, carol has not; the coordinator has a name."""
    coordinator.first_name, coordinator.last_name = "Grace", "Ho"
    coordinator.save()
    alice_review, bob_review, _carol_review = reviewing_round["reviews"]
    submit(alice_review)
    submit(bob_review, 3, 2)
    return reviewing_round


def partner_user():
    user = UserFactory()
    user.groups.add(Group.objects.get(name=PARTNERS_GROUP))
    PartnerAccount.objects.create(user=user, provider=ServiceProviderFactory())
    return user


def test_comments_answer_each_role_of_section_6(api, panel, coordinator):
    application = panel["application"]
    alice, _bob, carol = panel["reviewers"]
    conflicted = ReviewerFactory()
    conflicted_review = Review.objects.create(
        assignment=application.assignments.create(
            reviewer=conflicted, due_at=application.round.review_deadline
        ),
        status=ReviewStatus.SUBMITTED,
    )
    ConflictOfInterest.objects.create(
        reviewer=conflicted, startup=application.startup, reason="Investor."
    )
    member = UserFactory()
    StartupFactory(members=[member])
    application.startup.members.add(member)
    expected = {
        "anonymous": (None, 401),
        "start-up member": (member, 404),
        "unassigned reviewer": (ReviewerFactory(), 404),
        "conflicted reviewer": (conflicted, 404),
        "assigned, not submitted": (carol, 403),
        "partner": (partner_user(), 404),
        "assigned, submitted": (alice, 200),
        "coordinator": (coordinator, 200),
    }
    assert conflicted_review.pk
    for role, (user, code) in expected.items():
        api.force_authenticate(user)
        assert api.get(comments_url(application)).status_code == code, role
        posted = api.post(comments_url(application), {"body": "Hi"}, format="json")
        assert posted.status_code == (201 if code == 200 else code), role
    # Only the two allowed posts were written.
    assert Comment.objects.count() == 2
    api.force_authenticate(coordinator)
    assert api.get("/api/v1/applications/999999/comments/").status_code == 404


def test_comment_labels_reviewers_by_number_and_coordinators_by_name(api, panel, coordinator):
    application = panel["application"]
    alice, bob, _carol = panel["reviewers"]
    api.force_authenticate(bob)
    created = api.post(comments_url(application), {"body": "  Team is thin.  "}, format="json")
    assert created.status_code == 201
    assert set(created.json()) == {"id", "author_label", "body", "created_at"}
    assert (created.json()["author_label"], created.json()["body"]) == (
        "Reviewer 2",
        "Team is thin.",
    )
    api.force_authenticate(coordinator)
    api.post(comments_url(application), {"body": "Please converge."}, format="json")
    api.force_authenticate(alice)
    api.post(comments_url(application), {"body": "I disagree."}, format="json")

    def labels(user):
        api.force_authenticate(user)
        body = api.get(comments_url(application)).json()
        assert body["count"] == 3
        return [row["author_label"] for row in body["results"]]

    assert labels(alice) == ["Reviewer 2", "Grace Ho", "Reviewer 1"]
    assert labels(bob) == ["Reviewer 2", "Grace Ho", "Reviewer 1"]
    assert labels(coordinator) == ["bob", "Grace Ho", "alice"]


@pytest.mark.parametrize(
    ("body", "code"),
    [({"body": ""}, 400), ({"body": "   "}, 400), ({}, 400), ({"body": "x" * 10_001}, 400)],
)
def test_comment_refuses_empty_and_overlong_bodies_naming_body(api, panel, body, code):
    api.force_authenticate(panel["reviewers"][0])
    response = api.post(comments_url(panel["application"]), body, format="json")
    assert response.status_code == code
    assert list(response.json()) == ["body"]
    assert not Comment.objects.exists()


def test_comment_of_exactly_ten_thousand_characters_is_taken(api, panel):
    api.force_authenticate(panel["reviewers"][0])
    response = api.post(comments_url(panel["application"]), {"body": "x" * 10_000}, format="json")
    assert response.status_code == 201


def test_comment_list_queries_do_not_grow_with_comments(
    api, panel, coordinator, django_assert_max_num_queries
):
    application = panel["application"]
    api.force_authenticate(coordinator)
    post_comment(application=application, author=coordinator, body="one")
    with django_assert_max_num_queries(8) as few:
        api.get(comments_url(application))
    for index in range(20):
        post_comment(application=application, author=coordinator, body=f"more {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get(comments_url(application))


def test_new_comments_are_one_email_per_panel_member_per_batch(panel, coordinator):
    application = panel["application"]
    alice, bob, carol = panel["reviewers"]
    for user in (alice, bob, carol):
        user.email = f"{user.username}@example.org"
        user.save()
    ReviewerProfile.objects.filter(user=bob).update(language="zh-hant")
    post_comment(application=application, author=alice, body="The market is small.")
    post_comment(application=application, author=alice, body="And the team is new.")
    post_comment(application=application, author=coordinator, body="Noted.")
    # alice (the coordinator's), bob (all three), the coordinator (alice's two); not carol.
    assert notify_new_comments() == 3
    rows = {row.recipient: row for row in Notification.objects.filter(event="comments.posted")}
    assert set(rows) == {"alice@example.org", "bob@example.org", "coordinator@example.org"}
    assert rows["coordinator@example.org"].payload["data"]["count"] == 2
    assert rows["bob@example.org"].language == "zh-hant"
    assert [c["author_label"] for c in rows["bob@example.org"].payload["data"]["comments"]] == [
        "評審員 1",
        "評審員 1",
        "Grace Ho",
    ]
    assert [c["author_label"] for c in rows["alice@example.org"].payload["data"]["comments"]] == [
        "Grace Ho"
    ]
    # A second run has nothing new; a new comment is a new batch.
    assert notify_new_comments() == 0
    post_comment(application=application, author=bob, body="Agreed.")
    assert notify_new_comments() == 2  # alice and the coordinator, not bob
    assert not Notification.objects.filter(
        event="comments.posted", recipient="bob@example.org"
    ).exclude(pk=rows["bob@example.org"].pk)


def test_comment_email_reaches_the_coordinator_in_the_site_language(panel, coordinator):
    application = panel["application"]
    alice = panel["reviewers"][0]
    post_comment(application=application, author=alice, body="Look at the deck.")
    notify_new_comments()
    row = Notification.objects.get(event="comments.posted", recipient=coordinator.email)
    assert row.payload["data"]["comments"] == [
        {"author_label": "alice", "body": "Look at the deck.", "cut": False}
    ]
    assert row.payload["data"]["discussion_url"].endswith(
        reverse("admin:reviews_discussion", args=[application.pk])
    )


# --- reopening ----------------------------------------------------------------------------


def reopen_url(review) -> str:
    return f"/api/v1/reviews/{review.pk}/reopen/"


def test_reopen_makes_the_review_a_draft_keeps_the_version_and_tells_the_reviewer(
    api, panel, coordinator
):
    alice_review = panel["reviews"][0]
    alice = panel["reviewers"][0]
    alice.email = "alice@example.org"
    alice.save()
    ReviewerProfile.objects.filter(user=alice).update(language="zh-hans")
    api.force_authenticate(coordinator)
    response = api.post(
        reopen_url(alice_review), {"reason": "Score the market again."}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["id"], response.json()["status"]) == (alice_review.pk, "draft")
    alice_review.refresh_from_db()
    assert (alice_review.status, alice_review.submitted_at) == (ReviewStatus.DRAFT, None)
    version = ReviewVersion.objects.get(review=alice_review)
    team, market = panel["criteria"]
    assert version.scores == {str(team.pk): 8, str(market.pk): 4}
    assert str(version.total) == "80.00"  # (2 × 8/10 + 1 × 4/5) / 3 × 100
    event = AuditEvent.objects.get(action="review.reopened")
    assert event.data["previous"]["scores"] == {str(team.pk): "8", str(market.pk): "4"}
    assert event.data["previous"]["total"] == "80.00"
    assert event.data["reason"] == personal("Score the market again.")
    row = Notification.objects.get(event="review.reopened")
    assert (row.recipient, row.language) == ("alice@example.org", "zh-hans")
    assert row.payload["data"]["reason"] == "Score the market again."
    # The reviewer may now write the draft again; a second reopen is a conflict.
    again = api.post(reopen_url(alice_review), {"reason": "Twice."}, format="json")
    assert again.status_code == 409


def test_reopen_refuses_a_draft_a_missing_reason_and_other_roles(api, panel, coordinator):
    carol_review = panel["reviews"][2]
    alice_review = panel["reviews"][0]
    api.force_authenticate(coordinator)
    assert api.post(reopen_url(carol_review), {"reason": "x"}, format="json").status_code == 409
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = api.post(reopen_url(alice_review), body, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["reason"]
    assert (
        api.post("/api/v1/reviews/999999/reopen/", {"reason": "x"}, format="json").status_code
        == 404
    )
    api.force_authenticate(panel["reviewers"][0])
    assert api.post(reopen_url(alice_review), {"reason": "x"}, format="json").status_code == 403
    api.force_authenticate(None)
    assert api.post(reopen_url(alice_review), {"reason": "x"}, format="json").status_code == 401
    alice_review.refresh_from_db()
    assert alice_review.status == ReviewStatus.SUBMITTED
    assert not ReviewVersion.objects.exists()


def test_reopen_refuses_a_withdrawn_assignment(api, panel, coordinator):
    alice_review = panel["reviews"][0]
    withdraw_assignment(
        assignment=alice_review.assignment, actor=coordinator, reason="Left the panel."
    )
    api.force_authenticate(coordinator)
    assert api.post(reopen_url(alice_review), {"reason": "x"}, format="json").status_code == 409


# --- admin pages ------------------------------------------------------------------------------


def test_workplace_shows_the_thread_after_submitting_and_posts_to_it(client, panel):
    alice, _bob, carol = panel["reviewers"]
    application = panel["application"]
    post_comment(application=application, author=panel["reviewers"][1], body="Weak moat.")
    client.force_login(alice)
    page = client.get(reverse("admin:reviews_review_change", args=[panel["reviews"][0].pk]))
    html = page.content.decode()
    assert "Weak moat." in html
    assert "Reviewer 2" in html
    assert "bob" not in html
    posted = client.post(
        reverse("admin:reviews_discussion", args=[application.pk]),
        {"body": "Strong team though.", "next": page.wsgi_request.path},
    )
    assert posted.status_code == 302
    assert posted["Location"] == page.wsgi_request.path
    assert Comment.objects.filter(author=alice, body="Strong team though.").exists()
    client.force_login(carol)
    carol_page = client.get(reverse("admin:reviews_review_change", args=[panel["reviews"][2].pk]))
    assert "Weak moat." not in carol_page.content.decode()
    assert "opens to you once you have submitted" in carol_page.content.decode()
    assert client.get(reverse("admin:reviews_discussion", args=[application.pk])).status_code == 403
    client.force_login(ReviewerFactory())
    assert client.get(reverse("admin:reviews_discussion", args=[application.pk])).status_code == 404


def test_application_page_and_ranking_link_to_the_discussion(client, panel, coordinator):
    application = panel["application"]
    post_comment(application=application, author=panel["reviewers"][0], body="Discuss the moat.")
    force_login_verified(client, coordinator)
    page = client.get(reverse("admin:applications_application_change", args=[application.pk]))
    html = page.content.decode()
    discussion = reverse("admin:reviews_discussion", args=[application.pk])
    assert "Discuss the moat." in html
    assert discussion in html
    # alice 80, bob 3/10 and 2/5 → 33.33: a spread of 23 flags it.
    ranking = client.get(reverse("admin:reviews_ranking"), {"round": application.round_id})
    assert f'href="{discussion}"' in ranking.content.decode()
    thread = client.get(discussion)
    assert thread.status_code == 200
    assert "alice" in thread.content.decode()


def test_admin_reopen_for_coordinators_only(client, panel, coordinator):
    alice_review = panel["reviews"][0]
    url = reverse("admin:reviews_review_reopen", args=[alice_review.pk])
    client.force_login(panel["reviewers"][0])
    assert client.post(url, {"reason": "x"}).status_code == 403
    force_login_verified(client, coordinator)
    workplace = client.get(reverse("admin:reviews_review_change", args=[alice_review.pk]))
    assert url in workplace.content.decode()
    assert client.post(url, {"reason": ""}).status_code == 200
    response = client.post(url, {"reason": "Recheck the scores."})
    assert response.status_code == 302
    alice_review.refresh_from_db()
    assert alice_review.status == ReviewStatus.DRAFT
    assert ReviewVersion.objects.get().reason == "Recheck the scores."


def test_discussion_and_reopen_emails_render_in_the_recipients_language(api, panel, coordinator):
    alice, bob, _carol = panel["reviewers"]
    for user in (alice, bob):
        user.email = f"{user.username}@example.org"
        user.save()
    ReviewerProfile.objects.filter(user=bob).update(language="zh-hant")
    ReviewerProfile.objects.filter(user=alice).update(language="zh-hans")
    post_comment(application=panel["application"], author=alice, body="市场太小。")
    notify_new_comments()
    subject, text, html = render_row(
        Notification.objects.get(event="comments.posted", recipient="bob@example.org")
    ).parts()
    assert subject == f"「{panel['application'].project_name}」有 1 則新留言"
    assert "評審員 1" in text
    assert "市场太小。" in html
    api.force_authenticate(coordinator)
    api.post(reopen_url(panel["reviews"][0]), {"reason": "请重新评分。"}, format="json")
    subject, text, _html = render_row(Notification.objects.get(event="review.reopened")).parts()
    assert subject == f"您对“{panel['application'].project_name}”的评审已重新开启"
    assert "请重新评分。" in text


def test_beat_gathers_comments_every_minute_on_the_notifications_queue(settings, panel):
    entry = settings.CELERY_BEAT_SCHEDULE["reviews-discussion-batches"]
    assert (entry["task"], entry["schedule"]) == ("reviews.notify_new_comments", 60.0)
    assert entry["options"] == {"queue": settings.NOTIFICATIONS_QUEUE}
    post_comment(application=panel["application"], author=panel["reviewers"][0], body="Hm.")
    # The task is the service: bob's e-mail and the coordinator's, then nothing left to tell.
    assert tasks.notify_new_comments() == 2
    assert tasks.notify_new_comments() == 0
