"""The reviewing API: every endpoint's allowed path and each forbidden role (DESIGN.md 6, 8)."""

import pytest

from applications.enums import ApplicationStatus
from reviews.enums import ReviewStatus
from reviews.models import Assignment, ConflictOfInterest, Score
from reviews.scoring import ensure_calibration
from reviews.services import save_review, submit_review, withdraw_assignment
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
)

pytestmark = pytest.mark.django_db


def score_all(review, criteria, values):
    save_review(
        review=review,
        actor=review.assignment.reviewer,
        scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
        recommendation="accept",
        confidence=3,
        comment="Fine.",
    )
    submit_review(review=review, actor=review.assignment.reviewer)


# --- assignments ------------------------------------------------------------------------------


def test_assignments_list_reviewer_sees_own_only(api, reviewing_round):
    alice = reviewing_round["reviewers"][0]
    own = reviewing_round["reviews"][0]
    AssignmentFactory()  # someone else's
    api.force_authenticate(alice)
    response = api.get("/api/v1/assignments/")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {
            "id": own.assignment_id,
            "application": reviewing_round["application"].pk,
            "due_at": response.json()["results"][0]["due_at"],
            "review": own.pk,
            "review_status": "draft",
        }
    ]


def test_assignments_list_hides_conflicted(api, reviewing_round):
    alice = reviewing_round["reviewers"][0]
    ConflictOfInterest.objects.create(
        reviewer=alice, startup=reviewing_round["application"].startup, reason="x"
    )
    api.force_authenticate(alice)
    assert api.get("/api/v1/assignments/").json()["count"] == 0


def test_assignments_list_coordinator_sees_all_with_filters(api, reviewing_round, roles):
    AssignmentFactory()
    api.force_authenticate(roles["coordinator"])
    assert api.get("/api/v1/assignments/").json()["count"] == 4
    bob = reviewing_round["reviewers"][1]
    rows = api.get(f"/api/v1/assignments/?reviewer={bob.pk}").json()["results"]
    assert [row["reviewer"] for row in rows] == [bob.pk]
    by_round = api.get(f"/api/v1/assignments/?round={reviewing_round['round'].pk}").json()
    assert by_round["count"] == 3
    bad = api.get("/api/v1/assignments/?round=autumn")
    assert bad.status_code == 400
    assert bad.json() == {"round": ["Enter a whole number."]}


@pytest.mark.parametrize(("role", "code"), [("anonymous", 401), ("member", 403)])
def test_assignments_list_forbidden_roles(api, roles, role, code):
    if role != "anonymous":
        api.force_authenticate(roles[role])
    assert api.get("/api/v1/assignments/").status_code == code


@pytest.mark.parametrize("count", [1, 12])
def test_assignments_list_query_count_is_constant(
    api, reviewing_round, django_assert_num_queries, count
):
    reviewer = ReviewerFactory()
    for _ in range(count):
        ReviewFactory(assignment=AssignmentFactory(reviewer=reviewer))
    api.force_authenticate(reviewer)
    # groups, count, page
    with django_assert_num_queries(3):
        response = api.get("/api/v1/assignments/")
    assert response.json()["count"] == count


# --- reviews ----------------------------------------------------------------------------------


def test_review_get_and_put_by_its_reviewer(api, reviewing_round):
    review = reviewing_round["reviews"][0]
    team, market = reviewing_round["criteria"]
    api.force_authenticate(review.assignment.reviewer)
    response = api.put(
        f"/api/v1/reviews/{review.pk}/",
        {
            "scores": [{"criterion": team.pk, "value": 8}, {"criterion": market.pk, "value": 4}],
            "recommendation": "accept",
            "confidence": 4,
            "comment": "Strong team.",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": review.pk,
        "application": reviewing_round["application"].pk,
        "status": "draft",
        "scores": [{"criterion": team.pk, "value": 8}, {"criterion": market.pk, "value": 4}],
        "recommendation": "accept",
        "confidence": 4,
        "comment": "Strong team.",
        "total": pytest.approx((2 * 0.8 + 1 * 0.8) / 3 * 100),
        "other_reviews": [],
    }
    assert api.get(f"/api/v1/reviews/{review.pk}/").json() == body


def test_review_put_partial_scores_total_is_null(api, reviewing_round):
    review = reviewing_round["reviews"][0]
    team, _market = reviewing_round["criteria"]
    api.force_authenticate(review.assignment.reviewer)
    response = api.put(
        f"/api/v1/reviews/{review.pk}/",
        {"scores": [{"criterion": team.pk, "value": 8}]},
        format="json",
    )
    assert response.json()["total"] is None


def test_review_put_out_of_scale_is_400_and_changes_nothing(api, reviewing_round):
    review = reviewing_round["reviews"][0]
    _team, market = reviewing_round["criteria"]
    api.force_authenticate(review.assignment.reviewer)
    response = api.put(
        f"/api/v1/reviews/{review.pk}/",
        {"scores": [{"criterion": market.pk, "value": 6}], "comment": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"scores": ["“Market” takes a whole number from 1 to 5; got 6."]}
    assert not Score.objects.exists()
    bad = api.put(f"/api/v1/reviews/{review.pk}/", {"confidence": 7}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()) == ["confidence"]


def test_review_blind_until_submitted_then_anonymous(api, reviewing_round):
    alice_review, bob_review, _carol_review = reviewing_round["reviews"]
    criteria = reviewing_round["criteria"]
    score_all(bob_review, criteria, [6, 3])
    api.force_authenticate(alice_review.assignment.reviewer)
    assert api.get(f"/api/v1/reviews/{alice_review.pk}/").json()["other_reviews"] == []
    save_review(
        review=alice_review,
        actor=alice_review.assignment.reviewer,
        scores={c.pk: 5 for c in criteria},
    )
    response = api.post(f"/api/v1/reviews/{alice_review.pk}/submit/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted"
    assert body["other_reviews"] == [
        {
            "label": "Reviewer 2",
            "scores": [
                {"criterion": criteria[0].pk, "value": 6},
                {"criterion": criteria[1].pk, "value": 3},
            ],
            "recommendation": "accept",
            "confidence": 3,
            "comment": "Fine.",
            "total": pytest.approx((2 * 0.6 + 0.6) / 3 * 100),
        }
    ]
    assert "bob" not in response.content.decode()


def test_review_submit_needs_every_criterion_then_409(api, reviewing_round):
    review = reviewing_round["reviews"][0]
    team, market = reviewing_round["criteria"]
    api.force_authenticate(review.assignment.reviewer)
    save_review(review=review, actor=review.assignment.reviewer, scores={team.pk: 3})
    missing = api.post(f"/api/v1/reviews/{review.pk}/submit/")
    assert missing.status_code == 400
    assert missing.json() == {
        "scores": ["Score every criterion before submitting; missing: “Market”."]
    }
    save_review(review=review, actor=review.assignment.reviewer, scores={market.pk: 3})
    assert api.post(f"/api/v1/reviews/{review.pk}/submit/").status_code == 200
    again = api.post(f"/api/v1/reviews/{review.pk}/submit/")
    assert again.status_code == 409
    assert again.json() == {
        "detail": "This review has been submitted and can no longer be changed."
    }
    put = api.put(f"/api/v1/reviews/{review.pk}/", {"comment": "late"}, format="json")
    assert put.status_code == 409


def test_review_coordinator_reads_all_but_cannot_write(api, reviewing_round, roles):
    alice_review, bob_review, _ = reviewing_round["reviews"]
    score_all(bob_review, reviewing_round["criteria"], [6, 3])
    api.force_authenticate(roles["coordinator"])
    response = api.get(f"/api/v1/reviews/{alice_review.pk}/")
    assert response.status_code == 200
    assert [row["label"] for row in response.json()["other_reviews"]] == ["Reviewer 2"]
    assert api.put(f"/api/v1/reviews/{alice_review.pk}/", {}, format="json").status_code == 403
    assert api.post(f"/api/v1/reviews/{alice_review.pk}/submit/").status_code == 403


@pytest.mark.parametrize(
    ("role", "code"), [("anonymous", 401), ("member", 403), ("other_reviewer", 404)]
)
def test_review_endpoints_forbidden_roles(api, reviewing_round, roles, role, code):
    review = reviewing_round["reviews"][0]
    if role == "other_reviewer":
        api.force_authenticate(reviewing_round["reviewers"][1])
    elif role != "anonymous":
        api.force_authenticate(roles[role])
    url = f"/api/v1/reviews/{review.pk}/"
    assert api.get(url).status_code == code
    assert api.put(url, {"comment": "x"}, format="json").status_code == code
    assert api.post(url + "submit/").status_code == code
    assert api.get("/api/v1/reviews/999999/").status_code == (404 if code == 404 else code)


def test_review_of_conflicted_pair_is_invisible(api, reviewing_round):
    review = reviewing_round["reviews"][0]
    reviewer = review.assignment.reviewer
    review.status = ReviewStatus.SUBMITTED
    review.save(update_fields=["status"])
    ConflictOfInterest.objects.create(
        reviewer=reviewer, startup=reviewing_round["application"].startup, reason="x"
    )
    api.force_authenticate(reviewer)
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 404


def test_withdrawn_assignment_leaves_the_reviewers_api(api, reviewing_round, coordinator):
    review = reviewing_round["reviews"][0]
    reviewer = review.assignment.reviewer
    withdraw_assignment(assignment=review.assignment, actor=coordinator, reason="On leave.")

    api.force_authenticate(reviewer)
    assert api.get("/api/v1/assignments/").json()["count"] == 0
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert api.put(f"/api/v1/reviews/{review.pk}/", {}, format="json").status_code == 404
    assert api.get(f"/api/v1/applications/{review.assignment.application_id}/").status_code == 404

    api.force_authenticate(coordinator)
    listed = [row["id"] for row in api.get("/api/v1/assignments/").json()["results"]]
    assert review.assignment_id not in listed
    assert len(listed) == 2
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 200


# --- conflicts --------------------------------------------------------------------------------


def test_conflict_reviewer_declares_for_themself(api, reviewing_round):
    alice_review = reviewing_round["reviews"][0]
    alice = alice_review.assignment.reviewer
    startup = reviewing_round["application"].startup
    api.force_authenticate(alice)
    response = api.post(
        "/api/v1/conflicts/", {"startup": startup.pk, "reason": "My brother."}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["reviewer"] == alice.pk
    assert (body["startup"], body["reason"]) == (startup.pk, "My brother.")
    assert (body["withdrawn_assignments"], body["kept_submitted_reviews"]) == (1, [])
    assert not Assignment.objects.filter(pk=alice_review.assignment_id).exists()
    other = api.post(
        "/api/v1/conflicts/",
        {"startup": startup.pk, "reason": "x", "reviewer": reviewing_round["reviewers"][1].pk},
        format="json",
    )
    assert other.status_code == 403


def test_conflict_coordinator_records_for_reviewer(api, reviewing_round, roles):
    api.force_authenticate(roles["coordinator"])
    startup = StartupFactory()
    bob = reviewing_round["reviewers"][1]
    missing = api.post("/api/v1/conflicts/", {"startup": startup.pk, "reason": "x"}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {"reviewer": ["Name the reviewer who has the conflict."]}
    response = api.post(
        "/api/v1/conflicts/",
        {"startup": startup.pk, "reason": "Shareholder.", "reviewer": bob.pk},
        format="json",
    )
    assert response.status_code == 201
    assert ConflictOfInterest.objects.get().declared_by == roles["coordinator"]
    unknown = api.post(
        "/api/v1/conflicts/", {"startup": 999999, "reason": "x", "reviewer": bob.pk}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json() == {"startup": ["No start-up has id 999999."]}


@pytest.mark.parametrize(("role", "code"), [("anonymous", 401), ("member", 403)])
def test_conflict_forbidden_roles(api, roles, role, code):
    if role != "anonymous":
        api.force_authenticate(roles[role])
    startup = StartupFactory()
    response = api.post("/api/v1/conflicts/", {"startup": startup.pk, "reason": "x"}, format="json")
    assert response.status_code == code
    assert not ConflictOfInterest.objects.exists()


# --- rounds: assign and ranking ---------------------------------------------------------------


def test_round_assign_by_coordinator(api, roles):
    round_ = RoundFactory(reviews_per_application=1)
    application = ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED)
    api.force_authenticate(roles["coordinator"])
    response = api.post(f"/api/v1/rounds/{round_.pk}/assign/")
    assert response.status_code == 200
    assert response.json() == {"created": 1, "total": 1, "short": []}
    assert Assignment.objects.get().application == application
    assert api.post("/api/v1/rounds/999999/assign/").status_code == 404


@pytest.mark.parametrize(("role", "code"), [("anonymous", 401), ("member", 403), ("reviewer", 403)])
def test_round_assign_forbidden_roles(api, roles, role, code):
    round_ = RoundFactory()
    ApplicationFactory(round=round_, status=ApplicationStatus.SUBMITTED)
    if role != "anonymous":
        api.force_authenticate(roles[role])
    assert api.post(f"/api/v1/rounds/{round_.pk}/assign/").status_code == code
    assert not Assignment.objects.exists()


def test_round_ranking_by_coordinator(api, reviewing_round, roles):
    alice_review, bob_review, _ = reviewing_round["reviews"]
    score_all(alice_review, reviewing_round["criteria"], [10, 5])
    score_all(bob_review, reviewing_round["criteria"], [4, 2])
    other = ApplicationFactory(round=reviewing_round["round"], status=ApplicationStatus.SUBMITTED)
    api.force_authenticate(roles["coordinator"])
    response = api.get(f"/api/v1/rounds/{reviewing_round['round'].pk}/ranking/?method=normalized")
    assert response.status_code == 200
    application = reviewing_round["application"]
    assert response.json()["results"] == [
        {
            "rank": 1,
            "application": application.pk,
            "startup": application.startup_id,
            "startup_name": application.startup.name,
            "project_name": application.project_name,
            "raw_score": pytest.approx(70.0),
            "normalized_score": 0.0,
            # One application only: the model cannot tell its variances apart, raw mean it is.
            "calibrated_score": pytest.approx(70.0),
            "spread": pytest.approx(30.0),
            "review_count": 2,
            "flagged": True,
        },
        {
            "rank": 2,
            "application": other.pk,
            "startup": other.startup_id,
            "startup_name": other.startup.name,
            "project_name": other.project_name,
            "raw_score": None,
            "normalized_score": None,
            "calibrated_score": None,
            "spread": None,
            "review_count": 0,
            "flagged": False,
        },
    ]
    filtered = api.get(f"/api/v1/rounds/{reviewing_round['round'].pk}/ranking/?min_reviews=1")
    assert [row["application"] for row in filtered.json()["results"]] == [application.pk]


def test_round_ranking_bad_filter_is_400(api, reviewing_round, roles):
    api.force_authenticate(roles["coordinator"])
    url = f"/api/v1/rounds/{reviewing_round['round'].pk}/ranking/"
    response = api.get(url + "?method=best&region=mars")
    assert response.status_code == 400
    assert set(response.json()) == {"method", "region"}
    assert api.get("/api/v1/rounds/999999/ranking/").status_code == 404


@pytest.mark.parametrize(("role", "code"), [("anonymous", 401), ("member", 403), ("reviewer", 403)])
def test_round_ranking_forbidden_roles(api, roles, role, code):
    round_ = RoundFactory()
    if role != "anonymous":
        api.force_authenticate(roles[role])
    assert api.get(f"/api/v1/rounds/{round_.pk}/ranking/").status_code == code


@pytest.mark.parametrize("count", [1, 15])
def test_round_ranking_query_count_is_constant(api, roles, django_assert_num_queries, count):
    round_ = RoundFactory()
    for _ in range(count):
        ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    api.force_authenticate(roles["coordinator"])
    ensure_calibration(round_)  # fitted after the last review change, as the task does
    # groups, round, the reviews' signature, the stored fit's, count, page
    with django_assert_num_queries(6):
        response = api.get(f"/api/v1/rounds/{round_.pk}/ranking/")
    assert response.json()["count"] == count


def test_schema_documents_reviewing_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/assignments/",
        "/api/v1/reviews/{id}/",
        "/api/v1/reviews/{id}/submit/",
        "/api/v1/conflicts/",
        "/api/v1/rounds/{id}/assign/",
        "/api/v1/rounds/{id}/ranking/",
    ):
        assert path in schema["paths"], path


def test_review_put_comment_with_a_control_character_is_400(api, reviewing_round):
    review = reviewing_round["reviews"][0]
    api.force_authenticate(review.assignment.reviewer)

    bad = api.put(f"/api/v1/reviews/{review.pk}/", {"comment": "Good\x1b[2J"}, format="json")
    good = api.put(
        f"/api/v1/reviews/{review.pk}/", {"comment": "Good team.\n\tWeak market."}, format="json"
    )

    assert bad.status_code == 400
    assert bad.json() == {
        "comment": [
            "Control characters such as U+001B are not allowed; only line breaks and tabs are."
        ]
    }
    assert good.status_code == 200
    assert good.json()["comment"] == "Good team.\n\tWeak market."


def test_conflict_reason_with_a_control_character_is_400(api, reviewing_round):
    reviewer = reviewing_round["reviewers"][0]
    api.force_authenticate(reviewer)

    response = api.post(
        "/api/v1/conflicts/",
        {"startup": reviewing_round["application"].startup_id, "reason": "Brother\u0097"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
