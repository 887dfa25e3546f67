"""The reviewers' workplace and the coordinators' pages in the admin, through the test client."""

import pytest
from django.urls import reverse

from applications.enums import ApplicationStatus
from applications.models import Attachment
from reviews.enums import ReviewStatus
from reviews.models import Assignment, ConflictOfInterest, Score
from reviews.services import save_review, submit_review
from tests.factories import (
    MINIMAL_PDF,
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
    UserFactory,
)
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db


def review_url(review):
    return reverse("admin:reviews_review_change", args=[review.pk])


def submit_scores(review, criteria, values):
    save_review(
        review=review,
        actor=review.assignment.reviewer,
        scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
        recommendation="reject",
        comment="Weak market.",
    )
    submit_review(review=review, actor=review.assignment.reviewer)


def test_reviewer_lists_only_own_unconflicted_assignments(client, reviewing_round):
    alice = reviewing_round["reviewers"][0]
    conflicted = ReviewFactory(assignment=AssignmentFactory(reviewer=alice))
    ConflictOfInterest.objects.create(
        reviewer=alice, startup=conflicted.assignment.application.startup, reason="x"
    )
    force_login_verified(client, alice)
    page = client.get(reverse("admin:reviews_assignment_changelist"))
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == [reviewing_round["reviews"][0].assignment]
    reviews = client.get(reverse("admin:reviews_review_changelist"))
    assert list(reviews.context["cl"].result_list) == [reviewing_round["reviews"][0]]
    assert b"bob" not in reviews.content


def test_reviewer_reaches_no_other_admin_page(client, reviewing_round):
    alice_review, bob_review, _ = reviewing_round["reviews"]
    force_login_verified(client, alice_review.assignment.reviewer)
    application = reviewing_round["application"]
    for name, args in [
        ("admin:applications_application_changelist", []),
        ("admin:applications_application_change", [application.pk]),
        ("admin:applications_startup_changelist", []),
        ("admin:applications_attachment_changelist", []),
        ("admin:incubator_criterion_changelist", []),
        ("admin:reviews_reviewerprofile_changelist", []),
        ("admin:reviews_shortlist_changelist", []),
        ("admin:incubator_round_changelist", []),
        ("admin:notifications_notification_changelist", []),
        ("admin:auth_user_changelist", []),
        ("admin:reviews_assignment_add", []),
        ("admin:reviews_ranking", []),
        ("admin:reviews_reviewer_statistics", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.get(review_url(bob_review)).status_code == 404
    assert client.get(review_url(bob_review) + "x/").status_code in (302, 404)
    other_assignment = bob_review.assignment
    url = reverse("admin:reviews_assignment_change", args=[other_assignment.pk])
    assert client.get(url).status_code == 404
    own = reverse("admin:reviews_assignment_change", args=[alice_review.assignment_id])
    assert client.get(own).url == review_url(alice_review)
    assert client.post(review_url(bob_review), {"_save": "1"}).status_code == 404


def test_reviewer_workplace_shows_application_attachments_and_rubric(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    application = reviewing_round["application"]
    Attachment.objects.create(
        application=application,
        kind="pitch_deck",
        file="attachments/x.pdf",
        original_name="deck.pdf",
        size=2_400_000,
        content_type="application/pdf",
        sha256="0" * 64,
    )
    force_login_verified(client, review.assignment.reviewer)
    page = client.get(review_url(review))
    assert page.status_code == 200
    text = page.content.decode()
    assert application.project_name in text
    assert application.summary in text
    assert "deck.pdf" in text
    assert "Pitch deck" in text
    assert "2.3 MB" in text
    assert "Team" in text
    assert "Weight 2, scale 1–10." in text
    assert "Weight 1, scale 1–5." in text
    assert 'name="_save"' in text
    assert 'name="_submit"' in text
    assert "Blind review" in text


def test_reviewer_workplace_links_attachments_to_the_checked_download(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    deck = AttachmentFactory(application=reviewing_round["application"])
    force_login_verified(client, review.assignment.reviewer)
    url = reverse("attachment-download", kwargs={"pk": deck.pk})

    page = client.get(review_url(review))
    download = client.get(url)

    assert f'href="{url}"' in page.content.decode()
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == MINIMAL_PDF


def test_reviewer_saves_draft_and_submits(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    team, market = reviewing_round["criteria"]
    force_login_verified(client, review.assignment.reviewer)
    fields = {f"criterion_{team.pk}": "7", "recommendation": "accept", "confidence": "4"}
    response = client.post(review_url(review), {**fields, "_save": "1"})
    assert response.status_code == 302
    assert dict(Score.objects.values_list("criterion_id", "value")) == {team.pk: 7}
    # Submitting with a criterion unscored keeps the draft and says what is missing.
    response = client.post(review_url(review), {**fields, "_submit": "1"})
    assert response.status_code == 200
    assert "Score every criterion before submitting; missing: “Market”." in (
        response.content.decode()
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.DRAFT
    response = client.post(
        review_url(review), {**fields, f"criterion_{market.pk}": "5", "_submit": "1"}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED
    page = client.get(review_url(review))
    assert 'name="_submit"' not in page.content.decode()
    # Read-only after submitting: a forged POST is refused and changes nothing.
    assert (
        client.post(review_url(review), {f"criterion_{team.pk}": "1", "_save": "1"}).status_code
        == 403
    )
    assert Score.objects.get(criterion=team).value == 7


def test_reviewer_out_of_scale_score_shows_message(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    _team, market = reviewing_round["criteria"]
    force_login_verified(client, review.assignment.reviewer)
    response = client.post(review_url(review), {f"criterion_{market.pk}": "9", "_save": "1"})
    assert response.status_code == 200
    assert "“Market” takes a whole number from 1 to 5; got 9." in response.content.decode()
    assert not Score.objects.exists()
    response = client.post(review_url(review), {f"criterion_{market.pk}": "many", "_save": "1"})
    assert response.status_code == 200
    assert "Enter a whole number." in response.content.decode()


def test_blind_review_before_and_after_submitting(client, reviewing_round):
    alice_review, bob_review, carol_review = reviewing_round["reviews"]
    criteria = reviewing_round["criteria"]
    submit_scores(bob_review, criteria, [3, 2])
    force_login_verified(client, alice_review.assignment.reviewer)
    before = client.get(review_url(alice_review)).content.decode()
    assert "Weak market." not in before
    assert "Blind review" in before
    submit_scores(alice_review, criteria, [8, 4])
    after = client.get(review_url(alice_review)).content.decode()
    assert "Weak market." in after
    assert "Reviewer 2" in after
    assert "bob" not in after
    assert "carol" not in after
    assert carol_review.status == ReviewStatus.DRAFT


def test_reviewer_declares_conflict_in_admin(client, reviewing_round):
    alice_review = reviewing_round["reviews"][0]
    alice = alice_review.assignment.reviewer
    startup = reviewing_round["application"].startup
    force_login_verified(client, alice)
    url = reverse("admin:reviews_conflictofinterest_add")
    form = client.get(url)
    assert form.status_code == 200
    assert "id_reviewer" not in form.content.decode()
    response = client.post(url, {"startup": startup.pk, "reason": "I hold shares."})
    assert response.status_code == 302
    conflict = ConflictOfInterest.objects.get()
    assert (conflict.reviewer, conflict.declared_by) == (alice, alice)
    assert not Assignment.objects.filter(pk=alice_review.assignment_id).exists()


def conflict_search(client, term: str):
    return client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "reviews",
            "model_name": "conflictofinterest",
            "field_name": "startup",
            "term": term,
        },
    )


def test_conflict_form_searches_startups_instead_of_listing_them(
    client, coordinator, reviewing_round
):
    alice = reviewing_round["reviews"][0].assignment.reviewer
    startup = reviewing_round["application"].startup
    StartupFactory.create_batch(30)
    member = UserFactory(email="founder@hidden.example")
    startup.members.add(member)
    force_login_verified(client, alice)
    form = client.get(reverse("admin:reviews_conflictofinterest_add")).content.decode()
    # The field is searched as one types: no start-up is written into the page.
    assert "admin-autocomplete" in form
    assert startup.name not in form

    found = conflict_search(client, startup.name).json()["results"]
    assert {"id": str(startup.pk), "text": startup.name} in found
    # A reviewer finds start-ups by name only, not by who belongs to them.
    assert conflict_search(client, "founder@hidden").json()["results"] == []
    # The permission reaches this one field only.
    other = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "incubator", "model_name": "partneraccount", "field_name": "user"},
    )
    assert other.status_code == 403

    force_login_verified(client, coordinator)
    assert [row["id"] for row in conflict_search(client, "founder@hidden").json()["results"]] == [
        str(startup.pk)
    ]


def test_conflict_search_is_closed_to_those_who_cannot_declare(client, reviewing_round):
    force_login_verified(client, UserFactory(is_staff=True))
    assert conflict_search(client, "a").status_code == 403


def test_coordinator_sees_names_and_pages(client, coordinator, reviewing_round):
    alice_review, bob_review, _ = reviewing_round["reviews"]
    criteria = reviewing_round["criteria"]
    submit_scores(bob_review, criteria, [3, 2])
    force_login_verified(client, coordinator)
    page = client.get(review_url(alice_review)).content.decode()
    assert "bob" in page
    assert 'name="_save"' not in page
    listing = client.get(reverse("admin:reviews_review_changelist"))
    assert len(listing.context["cl"].result_list) == 3
    assert reverse("admin:reviews_ranking") in listing.content.decode()
    round_ = reviewing_round["round"]
    ranking = client.get(
        reverse("admin:reviews_ranking"), {"round": round_.pk, "method": "normalized"}
    )
    assert ranking.status_code == 200
    application = reviewing_round["application"]
    assert reverse("admin:applications_application_change", args=[application.pk]) in (
        ranking.content.decode()
    )
    assert [row.pk for row in ranking.context["page"]] == [application.pk]
    filtered = client.get(
        reverse("admin:reviews_ranking"), {"round": round_.pk, "track": "tourism"}
    )
    assert list(filtered.context["page"]) == []
    bad = client.get(reverse("admin:reviews_ranking"), {"round": round_.pk, "region": "mars"})
    assert "Unknown region “mars”." in bad.content.decode()
    stats = client.get(reverse("admin:reviews_reviewer_statistics"), {"round": round_.pk})
    assert stats.status_code == 200
    assert [row["user"].username for row in stats.context["rows"]] == ["alice", "bob", "carol"]
    assert [row["progress"] for row in stats.context["rows"]] == [0, 100, 0]


def test_coordinator_adds_assignment_through_service(client, coordinator, reviewing_round):
    alice = reviewing_round["reviewers"][0]
    startup = StartupFactory()
    application = ApplicationFactory(
        round=reviewing_round["round"], startup=startup, status=ApplicationStatus.SUBMITTED
    )
    ConflictOfInterest.objects.create(reviewer=alice, startup=startup, reason="Co-founder.")
    force_login_verified(client, coordinator)
    url = reverse("admin:reviews_assignment_add")
    refused = client.post(url, {"application": application.pk, "reviewer": alice.pk})
    assert refused.status_code == 200
    assert "has declared a conflict of interest" in refused.content.decode()
    bob = reviewing_round["reviewers"][1]
    created = client.post(url, {"application": application.pk, "reviewer": bob.pk})
    assert created.status_code == 302
    assignment = Assignment.objects.get(application=application)
    assert (assignment.reviewer, assignment.review.status) == (bob, ReviewStatus.DRAFT)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_round_action_assigns_reviewers(client, coordinator, reviewing_round):
    round_ = RoundFactory(reviews_per_application=2)
    ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED)
    force_login_verified(client, coordinator)
    response = client.post(
        reverse("admin:incubator_round_changelist"),
        {"action": "assign_reviewers_action", "_selected_action": [round_.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert f"{round_.name}: 2 assignment(s) made, 2 in all." in response.content.decode()
    assert Assignment.objects.filter(application__round=round_).count() == 2


def test_coordinator_edits_reviewer_expertise_as_tracks(client, coordinator, reviewing_round):
    alice = reviewing_round["reviewers"][0]
    profile = alice.reviewer_profile
    force_login_verified(client, coordinator)
    # The profile is changed with the account, on the Reviewer accounts page.
    url = reverse("admin:reviews_revieweraccount_change", args=[alice.pk])
    response = client.post(
        url,
        {
            "email": alice.email,
            "is_active": "on",
            "expertise": ["finance", "healthcare"],
            "max_load": 12,
            "language": "en",
        },
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.expertise, profile.max_load) == (["finance", "healthcare"], 12)


def test_reviewer_cannot_open_another_reviewers_conflict(client, reviewing_round):
    alice, bob, _ = reviewing_round["reviewers"]
    theirs = ConflictOfInterest.objects.create(reviewer=bob, startup=StartupFactory(), reason="x")
    mine = ConflictOfInterest.objects.create(reviewer=alice, startup=StartupFactory(), reason="y")
    force_login_verified(client, alice)
    listing = client.get(reverse("admin:reviews_conflictofinterest_changelist"))
    assert list(listing.context["cl"].result_list) == [mine]
    url = reverse("admin:reviews_conflictofinterest_change", args=[theirs.pk])
    assert client.get(url).status_code == 404
    own = reverse("admin:reviews_conflictofinterest_change", args=[mine.pk])
    assert client.get(own).status_code == 200
    delete = reverse("admin:reviews_conflictofinterest_delete", args=[mine.pk])
    assert client.get(delete).status_code == 403
    review_delete = reverse("admin:reviews_review_delete", args=[reviewing_round["reviews"][0].pk])
    assert client.get(review_delete).status_code == 403


def test_coordinator_sees_kept_review_marked_conflicted(client, coordinator, reviewing_round):
    alice_review = reviewing_round["reviews"][0]
    submit_scores(alice_review, reviewing_round["criteria"], [5, 3])
    ConflictOfInterest.objects.create(
        reviewer=alice_review.assignment.reviewer,
        startup=reviewing_round["application"].startup,
        reason="Found out later.",
    )
    force_login_verified(client, coordinator)
    listing = client.get(reverse("admin:reviews_review_changelist"))
    flags = {review.pk: review.conflicted for review in listing.context["cl"].result_list}
    assert flags == {
        review.pk: review.pk == alice_review.pk for review in reviewing_round["reviews"]
    }


# --- Nothing that counts is deleted; assignments are withdrawn (issue 11, item 4) ---------------


@pytest.fixture
def submitted(reviewing_round):
    review = reviewing_round["reviews"][0]
    submit_scores(review, reviewing_round["criteria"], [8, 4])
    return review


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.mark.parametrize("who", ["coordinator", "superuser"])
def test_nobody_deletes_a_submitted_review_in_the_admin(client, request, who, submitted):
    force_login_verified(client, request.getfixturevalue(who))
    review_delete = reverse("admin:reviews_review_delete", args=[submitted.pk])
    assert client.get(review_delete).status_code == 403
    assert client.post(review_delete, {"post": "yes"}).status_code == 403
    client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "delete_selected", "_selected_action": [submitted.pk], "post": "yes"},
    )
    score = Score.objects.filter(review=submitted).first()
    assert (
        client.post(
            reverse("admin:reviews_score_delete", args=[score.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assignment_delete = reverse("admin:reviews_assignment_delete", args=[submitted.assignment_id])
    assert client.post(assignment_delete, {"post": "yes"}).status_code == 403

    submitted.refresh_from_db()
    assert (submitted.status, Score.objects.filter(review=submitted).count()) == ("submitted", 2)
    # The reviewer's pages still answer.
    force_login_verified(client, submitted.assignment.reviewer)
    assert client.get(reverse("admin:reviews_assignment_changelist")).status_code == 200
    assert client.get(review_url(submitted)).status_code == 200


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("coordinator", "admin:applications_application_delete"),
        ("superuser", "admin:applications_application_delete"),
        ("coordinator", "admin:applications_startup_delete"),
        ("superuser", "admin:auth_user_delete"),
        ("coordinator", "admin:incubator_criterion_delete"),
    ],
)
def test_nothing_that_takes_a_submitted_review_with_it_is_deleted(
    client, request, who, page, submitted
):
    objects = {
        "admin:applications_application_delete": submitted.assignment.application_id,
        "admin:applications_startup_delete": submitted.assignment.application.startup_id,
        "admin:auth_user_delete": submitted.assignment.reviewer_id,
        "admin:incubator_criterion_delete": submitted.scores.first().criterion_id,
    }
    force_login_verified(client, request.getfixturevalue(who))

    response = client.post(reverse(page, args=[objects[page]]), {"post": "yes"})

    assert response.status_code == 403
    submitted.refresh_from_db()
    assert Score.objects.filter(review=submitted).count() == 2


def test_coordinator_withdraws_assignments_with_a_reason(client, coordinator, submitted):
    application = submitted.assignment.application
    draft = ReviewFactory(assignment=AssignmentFactory(application=application))
    selected = [submitted.assignment_id, draft.assignment_id]
    changelist = reverse("admin:reviews_assignment_changelist")
    force_login_verified(client, coordinator)

    asked = client.post(changelist, {"action": "withdraw_selected", "_selected_action": selected})
    assert asked.status_code == 200
    assert set(asked.context["form"].fields) == {"reason"}
    assert Assignment.objects.filter(withdrawn_at__isnull=False).count() == 0

    client.post(
        changelist,
        {
            "action": "withdraw_selected",
            "_selected_action": selected,
            "apply": "1",
            "reason": "Undeclared conflict found.",
        },
    )

    rows = Assignment.objects.filter(pk__in=selected).values_list(
        "withdrawn_by", "withdrawal_reason"
    )
    assert list(rows) == [(coordinator.pk, "Undeclared conflict found.")] * 2
    # The reviewers no longer see them; their pages answer 404, not 500.
    force_login_verified(client, submitted.assignment.reviewer)
    listing = client.get(changelist)
    assert list(listing.context["cl"].result_list) == []
    assert client.get(review_url(submitted)).status_code == 404


def test_withdraw_action_needs_a_reason(client, coordinator, submitted):
    force_login_verified(client, coordinator)
    response = client.post(
        reverse("admin:reviews_assignment_changelist"),
        {
            "action": "withdraw_selected",
            "_selected_action": [submitted.assignment_id],
            "apply": "1",
            "reason": "",
        },
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert Assignment.objects.get(pk=submitted.assignment_id).withdrawn_at is None


def test_withdraw_action_is_not_offered_to_reviewers(client, submitted):
    force_login_verified(client, submitted.assignment.reviewer)
    response = client.post(
        reverse("admin:reviews_assignment_changelist"),
        {
            "action": "withdraw_selected",
            "_selected_action": [submitted.assignment_id],
            "apply": "1",
            "reason": "Mine.",
        },
    )
    assert response.status_code in (200, 302)
    assert Assignment.objects.get(pk=submitted.assignment_id).withdrawn_at is None


def test_assignment_form_searches_only_applications_under_review(
    client, coordinator, reviewing_round
):
    round_ = reviewing_round["round"]
    waiting = ApplicationFactory(
        round=round_, project_name="Tidewater Ledger", status=ApplicationStatus.SUBMITTED
    )
    ApplicationFactory(round=round_, project_name="Tidewater Draft", status="draft")
    ApplicationFactory(round=round_, project_name="Tidewater Decided", status="rejected")
    force_login_verified(client, coordinator)
    form = client.get(reverse("admin:reviews_assignment_add")).content.decode()
    assert "admin-autocomplete" in form
    assert "Tidewater" not in form

    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "reviews",
            "model_name": "assignment",
            "field_name": "application",
            "term": "Tidewater",
        },
    ).json()["results"]
    assert [row["id"] for row in found] == [str(waiting.pk)]


def test_score_list_costs_the_same_few_queries_for_any_number_of_reviews(
    client, coordinator, reviewing_round, django_assert_max_num_queries
):
    round_, criteria = reviewing_round["round"], reviewing_round["criteria"]
    for _ in range(15):
        review = ReviewFactory(assignment=AssignmentFactory(application__round=round_))
        for criterion in criteria:
            Score.objects.create(review=review, criterion=criterion, value=2)
    force_login_verified(client, coordinator)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:reviews_score_changelist"))
    assert len(page.context["cl"].result_list) == 30
    ids = [score.pk for score in page.context["cl"].result_list]
    assert ids == sorted(ids, reverse=True)
