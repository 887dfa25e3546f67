"""The calibrated ranking end to end: stored fits, the API, the admin, shortlists and roles."""

import numpy as np
import pytest
from django.urls import reverse

from incubator.models import Criterion
from reviews import calibration
from reviews.enums import ReviewStatus
from reviews.models import (
    ApplicationScore,
    Assignment,
    Review,
    ReviewerLeniency,
    RoundCalibration,
    Score,
)
from reviews.scoring import (
    ensure_calibration,
    refit_round,
    reviewer_statistics_rows,
    reviews_signature,
)
from reviews.selectors import (
    CountedRanking,
    ranking_count,
    reviewer_statistics,
    round_ranking,
    round_review_scores,
)
from reviews.services import submit_review, withdraw_assignment
from reviews.shortlists import create_shortlist
from tests.factories import ApplicationFactory, ReviewerFactory, RoundFactory
from tests.reviews.scoring import scored_application
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

# Six reviewers on a ring, three per application; reviewer 0 is 3 points (30 on 0-100) harsher
# than the others. True quality 2..9 (× 10).
QUALITY = [9, 8, 7, 6, 5, 4, 3, 2, 9, 5, 7, 3]


@pytest.fixture
def calibrated_round():
    round_ = RoundFactory(name="Calibrated")
    reviewers = [ReviewerFactory(username=f"r{i}", first_name="") for i in range(6)]
    applications = []
    for index, quality in enumerate(QUALITY):
        panel = [reviewers[(index + k) % 6] for k in range(3)]
        values = [max(1, quality - 3) if r is reviewers[0] else quality for r in panel]
        applications.append(scored_application(round_, values, reviewers=panel))
    return {"round": round_, "reviewers": reviewers, "applications": applications}


def url(round_, **query):
    text = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/rounds/{round_.pk}/ranking/" + (f"?{text}" if text else "")


def test_calibrated_ranking_in_the_api(api, roles, calibrated_round):
    api.force_authenticate(roles["coordinator"])
    response = api.get(url(calibrated_round["round"], method="calibrated"))
    assert response.status_code == 200
    rows = response.json()["results"]
    scores = [row["calibrated_score"] for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert [row["rank"] for row in rows] == list(range(1, len(QUALITY) + 1))
    stored = dict(ApplicationScore.objects.values_list("application_id", "calibrated_score"))
    assert {row["application"]: row["calibrated_score"] for row in rows} == pytest.approx(stored)
    # The harsh reviewer drags raw means down; the calibrated scores undo part of it: the
    # two applications of quality 9 (one with the harsh reviewer) end up closer than raw.
    apps = calibrated_round["applications"]
    by_pk = {row["application"]: row for row in rows}
    harsh, fair = by_pk[apps[0].pk], by_pk[apps[8].pk]
    raw_gap = fair["raw_score"] - harsh["raw_score"]
    assert raw_gap > 0
    assert abs(fair["calibrated_score"] - harsh["calibrated_score"]) < raw_gap
    leniency = ReviewerLeniency.objects.get(reviewer=calibrated_round["reviewers"][0])
    assert leniency.leniency < -5


@pytest.mark.parametrize(
    "filters",
    [{}, {"min_reviews": 3}, {"min_reviews": 4}, {"status": "submitted"}, {"track": "finance"}],
)
def test_the_cheap_count_equals_the_rankings_length(calibrated_round, filters):
    round_ = calibrated_round["round"]
    ApplicationFactory(round=round_, status="submitted", track="finance")
    draft = Review.objects.filter(assignment__application__round=round_).first()
    draft.status = ReviewStatus.DRAFT  # one application down to two counted reviews
    draft.save()
    expected = len(list(round_ranking(round=round_, **filters)))
    assert ranking_count(round=round_, **filters) == expected
    assert CountedRanking(round_ranking(round=round_), round=round_, **filters).count() == expected


def test_unknown_method_is_400(api, roles, calibrated_round):
    api.force_authenticate(roles["coordinator"])
    response = api.get(url(calibrated_round["round"], method="bayesian"))
    assert response.status_code == 400
    assert "method" in response.json()


def test_a_stale_fit_is_refitted_on_read(api, roles, calibrated_round):
    round_ = calibrated_round["round"]
    ensure_calibration(round_)
    before = RoundCalibration.objects.get(round=round_).signature
    newcomer = scored_application(round_, [10, 10], reviewers=calibrated_round["reviewers"][1:3])
    assert reviews_signature(round_) != before
    api.force_authenticate(roles["coordinator"])
    rows = api.get(url(round_, method="calibrated")).json()["results"]
    assert rows[0]["application"] == newcomer.pk
    assert RoundCalibration.objects.get(round=round_).signature == reviews_signature(round_)


def test_submitting_refits_after_commit(calibrated_round, django_capture_on_commit_callbacks):
    round_ = calibrated_round["round"]
    ensure_calibration(round_)
    reviewer = calibrated_round["reviewers"][4]
    application = ApplicationFactory(round=round_, status="under_review")
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, due_at=round_.review_deadline
    )
    review = Review.objects.create(assignment=assignment)
    Score.objects.create(review=review, criterion=Criterion.objects.get(round=round_), value=6)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit_review(review=review, actor=reviewer)
    assert len(callbacks) == 1
    state = RoundCalibration.objects.get(round=round_)
    assert state.signature == reviews_signature(round_)
    assert ApplicationScore.objects.filter(application=application).exists()


def test_withdrawing_refits_after_commit(
    calibrated_round, coordinator, django_capture_on_commit_callbacks
):
    round_ = calibrated_round["round"]
    ensure_calibration(round_)
    assignment = Assignment.objects.filter(application__round=round_).first()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_assignment(assignment=assignment, actor=coordinator, reason="Left the panel")
    state = RoundCalibration.objects.get(round=round_)
    assert state.signature == reviews_signature(round_)
    assert state.signature.startswith(f"{len(QUALITY) * 3 - 1}:")


def test_shortlist_by_calibrated_score(coordinator, calibrated_round):
    shortlist = create_shortlist(
        round=calibrated_round["round"],
        name="Calibrated top",
        actor=coordinator,
        method="calibrated",
        size=4,
    )
    entries = list(shortlist.entries.order_by("rank"))
    assert len(entries) == 4
    stored = dict(ApplicationScore.objects.values_list("application_id", "calibrated_score"))
    assert [e.calibrated_score for e in entries] == [stored[e.application_id] for e in entries]
    assert [e.calibrated_score for e in entries] == sorted(stored.values(), reverse=True)[:4]


def test_shortlist_api_reads_calibrated_score(api, roles, calibrated_round):
    api.force_authenticate(roles["coordinator"])
    response = api.post(
        "/api/v1/shortlists/",
        {"round": calibrated_round["round"].pk, "name": "C", "size": 3, "method": "calibrated"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["method"] == "calibrated"
    scores = [entry["calibrated_score"] for entry in response.json()["entries"]]
    assert scores == sorted(scores, reverse=True)
    assert None not in scores


# Reviewer statistics ---------------------------------------------------------------------------


def stats_url(round_id):
    return f"/api/v1/rounds/{round_id}/reviewer-statistics/"


def test_reviewer_statistics_shape(api, roles, calibrated_round):
    round_ = calibrated_round["round"]
    idle = ReviewerFactory(username="zz-idle")
    Assignment.objects.create(
        application=calibrated_round["applications"][0],
        reviewer=idle,
        due_at=round_.review_deadline,
    )
    Review.objects.create(
        assignment=Assignment.objects.get(reviewer=idle), status=ReviewStatus.DRAFT
    )
    api.force_authenticate(roles["coordinator"])
    response = api.get(stats_url(round_.pk))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"agreement", "reviewers"}
    assert isinstance(body["agreement"], float)
    assert -1 <= body["agreement"] <= 1
    rows = {row["reviewer"]: row for row in body["reviewers"]}
    harsh = rows[calibrated_round["reviewers"][0].pk]
    assert set(harsh) == {
        "reviewer",
        "name",
        "review_count",
        "mean_total",
        "leniency",
        "leniency_se",
        "outlier",
    }
    assert harsh["name"] == "r0"
    assert harsh["review_count"] == 6
    assert harsh["leniency"] < 0
    assert harsh["leniency_se"] > 0
    stored = ReviewerLeniency.objects.get(reviewer=calibrated_round["reviewers"][0])
    assert harsh["leniency"] == pytest.approx(stored.leniency)
    assert harsh["outlier"] == (
        abs(stored.leniency) > 2 * stored.leniency_se and abs(stored.leniency) > 5
    )
    assert rows[idle.pk] == {
        "reviewer": idle.pk,
        "name": "zz-idle",
        "review_count": 0,
        "mean_total": None,
        "leniency": None,
        "leniency_se": None,
        "outlier": False,
    }


def test_reviewer_statistics_agreement_null_without_two_reviews(api, roles):
    round_ = RoundFactory()
    scored_application(round_, [5])
    scored_application(round_, [7])
    api.force_authenticate(roles["coordinator"])
    body = api.get(stats_url(round_.pk)).json()
    assert body["agreement"] is None
    assert [row["review_count"] for row in body["reviewers"]] == [1, 1]


@pytest.mark.parametrize(("role", "code"), [("anonymous", 401), ("reviewer", 403), ("member", 403)])
def test_reviewer_statistics_forbidden(api, roles, calibrated_round, role, code):
    if role != "anonymous":
        api.force_authenticate(roles[role])
    assert api.get(stats_url(calibrated_round["round"].pk)).status_code == code


def test_reviewer_statistics_unknown_round_is_404(api, roles):
    api.force_authenticate(roles["coordinator"])
    assert api.get(stats_url(999999)).status_code == 404


def test_reviewer_statistics_in_the_schema(api):
    schema = api.get("/api/schema/?format=json").json()
    assert "/api/v1/rounds/{id}/reviewer-statistics/" in schema["paths"]


# Admin -----------------------------------------------------------------------------------------


def test_admin_ranking_by_calibrated_score(client, coordinator, calibrated_round):
    force_login_verified(client, coordinator)
    response = client.get(
        reverse("admin:reviews_ranking"),
        {"round": calibrated_round["round"].pk, "method": "calibrated"},
    )
    assert response.status_code == 200
    rows = list(response.context["page"])
    scores = [row.calibrated_score for row in rows]
    assert scores == sorted(scores, reverse=True)
    assert "Calibrated" in response.content.decode()


def test_admin_ranking_sorts_by_the_calibrated_column(client, coordinator, calibrated_round):
    force_login_verified(client, coordinator)
    response = client.get(
        reverse("admin:reviews_ranking"),
        {"round": calibrated_round["round"].pk, "order": "calibrated"},
    )
    scores = [row.calibrated_score for row in response.context["page"]]
    assert scores == sorted(scores)


def test_admin_statistics_page_marks_outliers(client, coordinator, calibrated_round):
    force_login_verified(client, coordinator)
    response = client.get(
        reverse("admin:reviews_reviewer_statistics"), {"round": calibrated_round["round"].pk}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="agreement"' in page
    assert f"{response.context['agreement']:.3f}" in page
    marked = [row for row in response.context["rows"] if row["model"]["outlier"]]
    assert page.count('class="flag outlier"') == len(marked)
    harsh = next(row for row in response.context["rows"] if row["user"].username == "r0")
    assert harsh["model"]["leniency"] < -5


def test_admin_statistics_page_is_for_coordinators(client, calibrated_round):
    force_login_verified(client, ReviewerFactory(username="eve"))
    response = client.get(
        reverse("admin:reviews_reviewer_statistics"), {"round": calibrated_round["round"].pk}
    )
    assert response.status_code in (302, 403)


def test_stored_scores_equal_the_rankings(calibrated_round):
    round_ = calibrated_round["round"]
    scored_application(round_, [2, 10], reviewers=calibrated_round["reviewers"][2:4])
    ensure_calibration(round_)
    stored = {row.application_id: row for row in ApplicationScore.objects.filter(round=round_)}
    rows = list(round_ranking(round=round_))
    assert len(stored) == len(rows)
    for row in rows:
        mine = stored[row.pk]
        assert mine.raw_score == pytest.approx(row.raw_score)
        assert mine.spread == pytest.approx(row.spread)
        assert mine.review_count == row.review_count
        assert mine.calibrated_score == row.calibrated_score


def test_a_refit_stores_exactly_the_fit(calibrated_round, coordinator):
    """The stored rows are the fit's numbers bit for bit (on PostgreSQL they travel as array
    literals), and an application whose reviews were all withdrawn loses its row."""
    round_ = calibrated_round["round"]
    ensure_calibration(round_)
    dropped = calibrated_round["applications"][0]
    for assignment in Assignment.objects.filter(application=dropped):
        withdraw_assignment(assignment=assignment, actor=coordinator, reason="Conflict found")
    refit_round(round_)
    scored = round_review_scores(round_)
    fitted = calibration.fit_scores(
        scored.applications, scored.reviewers, scored.values, scored.maxima, scored.weights
    )
    stored = {row.application_id: row for row in ApplicationScore.objects.filter(round=round_)}
    assert dropped.pk not in stored
    assert set(stored) == set(fitted.calibrated)
    for pk, score in fitted.calibrated.items():
        assert stored[pk].calibrated_score == score


def test_stored_reviewer_statistics_equal_the_live_ones(calibrated_round, coordinator):
    round_ = calibrated_round["round"]
    reviewers = calibrated_round["reviewers"]
    # One more application with a single review, an idle reviewer with a draft, a withdrawal.
    scored_application(round_, [6], reviewers=reviewers[:1])
    idle = ReviewerFactory(username="idle")
    Review.objects.create(
        assignment=Assignment.objects.create(
            application=calibrated_round["applications"][0],
            reviewer=idle,
            due_at=round_.review_deadline,
        )
    )
    withdraw_assignment(
        assignment=Assignment.objects.filter(reviewer=reviewers[5]).first(),
        actor=coordinator,
        reason="Conflict found",
    )
    state, stored = reviewer_statistics_rows(round=round_)
    live = list(reviewer_statistics(round=round_))
    assert [user.pk for user in stored] == [user.pk for user in live]
    for mine, theirs in zip(stored, live, strict=True):
        assert (mine.assignment_count, mine.submitted_count) == (
            theirs.assignment_count,
            theirs.submitted_count,
        )
        for name in ("mean_total", "sd_total", "leniency"):
            assert getattr(mine, name) == pytest.approx(getattr(theirs, name)), name
    by_user = {user.pk: user for user in stored}
    assert by_user[idle.pk].mean_total is None
    assert by_user[reviewers[0].pk].model_leniency < -5  # the harsh one, by the model too
    assert state.signature == reviews_signature(round_)


def test_round_scores_are_the_counted_reviews_with_their_totals(calibrated_round, coordinator):
    """The model's input: one row per counted review (a draft and a withdrawn review left out),
    its scores by criterion, and totals equal to the live ranking's."""
    round_ = calibrated_round["round"]
    first = calibrated_round["applications"][0]
    withdraw_assignment(
        assignment=Assignment.objects.filter(application=first).first(),
        actor=coordinator,
        reason="Conflict found",
    )
    Review.objects.create(
        assignment=Assignment.objects.create(
            application=first, reviewer=ReviewerFactory(), due_at=round_.review_deadline
        )
    )
    scored = round_review_scores(round_)
    assert len(scored.applications) == len(QUALITY) * 3 - 1
    assert (scored.maxima, scored.weights) == ([10.0], [1.0])
    totals = calibration.review_totals(
        np.array(scored.values), np.array(scored.maxima), np.array(scored.weights)
    )
    per_application: dict[int, list[float]] = {}
    for application, total in zip(scored.applications, totals, strict=True):
        per_application.setdefault(application, []).append(total)
    for row in round_ranking(round=round_):
        assert row.raw_score == pytest.approx(np.mean(per_application[row.pk]))
