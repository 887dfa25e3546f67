"""The reviewer's workplace (issue 13): live total and scale hints, the queue, the framed pitch
deck, declaring a conflict from the review page, and the scale's level descriptions."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Attachment
from incubator.models import Criterion
from reviews.enums import ReviewStatus
from reviews.models import Assignment, ConflictOfInterest
from reviews.services import save_review, submit_review
from tests.applications.conftest import client_for
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    CriterionFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
)
from tests.twofactor import force_login_verified

pytestmark = pytest.mark.django_db

ROUNDS = "/api/v1/rounds/"


def review_url(review):
    return reverse("admin:reviews_review_change", args=[review.pk])


def submit(review, criteria, values):
    save_review(
        review=review,
        actor=review.assignment.reviewer,
        scores={c.pk: v for c, v in zip(criteria, values, strict=True)},
    )
    submit_review(review=review, actor=review.assignment.reviewer)


@pytest.fixture
def queue():
    """One reviewer with four assignments in a round (due on days 3, 1, 2, 4) and one in another."""
    round_ = RoundFactory(name="Autumn")
    team = Criterion.objects.create(round=round_, name="Team", weight=1, max_score=10)
    reviewer = ReviewerFactory(username="ada")
    start = timezone.now() + timedelta(days=10)
    reviews = [
        ReviewFactory(
            assignment=AssignmentFactory(
                application=ApplicationFactory(round=round_, project_name=f"Project {day}"),
                reviewer=reviewer,
                due_at=start + timedelta(days=day),
            )
        )
        for day in (3, 1, 2, 4)
    ]
    elsewhere = ReviewFactory(
        assignment=AssignmentFactory(application=ApplicationFactory(), reviewer=reviewer)
    )
    by_day = dict(zip((3, 1, 2, 4), reviews, strict=True))
    return {
        "round": round_,
        "team": team,
        "reviewer": reviewer,
        "by_day": by_day,
        "other": elsewhere,
    }


# --- 1. live total, scale, confirmation ------------------------------------------------------


def test_workplace_score_inputs_carry_scale_weight_and_hidden_range_message(
    client, reviewing_round
):
    review = reviewing_round["reviews"][0]
    team, market = reviewing_round["criteria"]
    force_login_verified(client, review.assignment.reviewer)
    text = client.get(review_url(review)).content.decode()
    assert (
        f'<input type="number" name="criterion_{market.pk}" class="score-input" min="1" max="5" '
        f'step="1" data-weight="1" data-max="5" data-range-message="Enter a score from 1 to 5." '
        f'aria-describedby="range-{market.pk}" id="id_criterion_{market.pk}">'
    ) in text
    assert 'data-weight="2" data-max="10"' in text
    assert f'<p class="range-error" id="range-{team.pk}" role="alert" hidden></p>' in text
    assert 'src="/static/reviews/workplace.js"' in text
    assert (
        'data-confirm="Submit this review? Submitting is final: you cannot change your scores '
        'or comments afterwards."'
    ) in text


def test_workplace_out_of_range_score_message_shows_at_its_field(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    _team, market = reviewing_round["criteria"]
    force_login_verified(client, review.assignment.reviewer)
    response = client.post(review_url(review), {f"criterion_{market.pk}": "9", "_save": "1"})
    assert response.status_code == 200
    assert (
        f'<p class="range-error" id="range-{market.pk}" role="alert">'
        "“Market” takes a whole number from 1 to 5; got 9. </p>"
    ) in response.content.decode()


def test_workplace_total_from_the_server_follows_the_design_formula(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    team, market = reviewing_round["criteria"]
    save_review(review=review, actor=review.assignment.reviewer, scores={team.pk: 7, market.pk: 4})
    force_login_verified(client, review.assignment.reviewer)
    text = client.get(review_url(review)).content.decode()
    # (2 × 7/10 + 1 × 4/5) / 3 × 100 = 73.33…
    assert '<span class="total" id="review-total" aria-live="polite">73.3</span>' in text


# --- 2. the queue and the assignments list ---------------------------------------------------


def test_workplace_shows_left_count_and_next_in_due_order(client, queue):
    by_day = queue["by_day"]
    force_login_verified(client, queue["reviewer"])
    text = client.get(review_url(by_day[2])).content.decode()
    assert '<span id="review-queue-left">4 of 4 left</span>' in text
    assert f'id="next-application" href="{review_url(by_day[3])}"' in text


def test_workplace_next_skips_submitted_and_wraps_to_the_start(client, queue):
    by_day, team = queue["by_day"], queue["team"]
    submit(by_day[1], [team], [5])
    force_login_verified(client, queue["reviewer"])
    text = client.get(review_url(by_day[4])).content.decode()
    assert '<span id="review-queue-left">3 of 4 left</span>' in text
    assert f'id="next-application" href="{review_url(by_day[2])}"' in text


def test_workplace_last_draft_has_no_next(client, queue):
    by_day, team = queue["by_day"], queue["team"]
    for day in (1, 2, 4):
        submit(by_day[day], [team], [5])
    force_login_verified(client, queue["reviewer"])
    text = client.get(review_url(by_day[3])).content.decode()
    assert '<span id="review-queue-left">1 of 4 left</span>' in text
    assert 'id="next-application"' not in text
    submit(by_day[3], [team], [6])
    text = client.get(review_url(by_day[3])).content.decode()
    assert '<span id="review-queue-left">0 of 4 left</span>' in text


def test_workplace_queue_not_shown_to_a_coordinator_reading(client, coordinator, queue):
    force_login_verified(client, coordinator)
    text = client.get(review_url(queue["by_day"][1])).content.decode()
    assert "review-queue-left" not in text


def test_assignments_list_sorted_by_due_date(client, queue):
    by_day = queue["by_day"]
    force_login_verified(client, queue["reviewer"])
    page = client.get(reverse("admin:reviews_assignment_changelist"))
    assert [a.pk for a in page.context["cl"].result_list][:4] == [
        by_day[day].assignment_id for day in (1, 2, 3, 4)
    ]


def test_assignments_list_filters_by_round_and_state(client, queue):
    by_day, team = queue["by_day"], queue["team"]
    submit(by_day[2], [team], [5])
    force_login_verified(client, queue["reviewer"])
    url = reverse("admin:reviews_assignment_changelist")
    in_round = client.get(url, {"application__round__id__exact": queue["round"].pk})
    assert [a.pk for a in in_round.context["cl"].result_list] == [
        by_day[day].assignment_id for day in (1, 2, 3, 4)
    ]
    drafts = client.get(
        url, {"application__round__id__exact": queue["round"].pk, "review__status__exact": "draft"}
    )
    assert [a.pk for a in drafts.context["cl"].result_list] == [
        by_day[day].assignment_id for day in (1, 3, 4)
    ]
    done = client.get(url, {"review__status__exact": "submitted"})
    assert [a.pk for a in done.context["cl"].result_list] == [by_day[2].assignment_id]
    # Only the rounds the reviewer has work in are offered.
    text = in_round.content.decode()
    assert "Autumn" in text
    assert "By round" in text


# --- 3. the pitch deck in a frame ------------------------------------------------------------


def test_workplace_frames_the_pdf_pitch_deck_from_the_checked_view(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    deck = AttachmentFactory(application=reviewing_round["application"], original_name="d.pdf")
    force_login_verified(client, review.assignment.reviewer)
    response = client.get(review_url(review))
    url = reverse("attachment-download", kwargs={"pk": deck.pk})
    assert (
        f'<iframe class="deck-frame" id="pitch-deck" src="{url}?disposition=inline" '
        'title="Pitch deck: d.pdf"></iframe>'
    ) in response.content.decode()
    assert "frame-src 'self'" in response["Content-Security-Policy"]


def test_workplace_without_a_pdf_deck_has_no_frame(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    Attachment.objects.create(
        application=reviewing_round["application"],
        kind="pitch_deck",
        file="attachments/x.pptx",
        original_name="deck.pptx",
        size=10,
        content_type="application/vnd.openxmlformats-officedocument.presentationml.presentation",
        sha256="0" * 64,
    )
    force_login_verified(client, review.assignment.reviewer)
    assert 'id="pitch-deck"' not in client.get(review_url(review)).content.decode()


def test_attachment_inline_pdf_may_be_framed_by_our_origin_only(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    deck = AttachmentFactory(application=reviewing_round["application"], original_name="d.pdf")
    force_login_verified(client, review.assignment.reviewer)
    url = reverse("attachment-download", kwargs={"pk": deck.pk})
    response = client.get(url, {"disposition": "inline"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'inline; filename="d.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Content-Security-Policy"] == (
        "default-src 'none'; frame-ancestors 'self'; sandbox"
    )
    download = client.get(url)
    assert download["Content-Disposition"] == 'attachment; filename="d.pdf"'
    assert download["X-Frame-Options"] == "DENY"
    assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_attachment_inline_asked_for_a_non_pdf_is_still_a_download(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    image = AttachmentFactory(
        application=reviewing_round["application"],
        kind="business_licence",
        original_name="licence.png",
        content_type="image/png",
    )
    force_login_verified(client, review.assignment.reviewer)
    url = reverse("attachment-download", kwargs={"pk": image.pk})
    response = client.get(url, {"disposition": "inline"})
    assert response["Content-Disposition"] == 'attachment; filename="licence.png"'
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_attachment_inline_stays_invisible_to_another_reviewer(client, reviewing_round):
    deck = AttachmentFactory(application=reviewing_round["application"])
    force_login_verified(client, ReviewerFactory(username="stranger"))
    url = reverse("attachment-download", kwargs={"pk": deck.pk})
    assert client.get(url, {"disposition": "inline"}).status_code == 404


# --- 4. declaring a conflict from the review page --------------------------------------------


def conflict_url(review):
    return reverse("admin:reviews_review_declare_conflict", args=[review.pk])


def test_workplace_offers_the_conflict_form_to_its_reviewer(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    force_login_verified(client, review.assignment.reviewer)
    text = client.get(review_url(review)).content.decode()
    assert f'action="{conflict_url(review)}" id="conflict-form"' in text


def test_declare_conflict_from_review_page_withdraws_and_sends_to_the_list(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    reviewer = review.assignment.reviewer
    startup = reviewing_round["application"].startup
    force_login_verified(client, reviewer)
    response = client.post(conflict_url(review), {"reason": "I advise this start-up."})
    assert response.status_code == 302
    assert response.url == reverse("admin:reviews_assignment_changelist")
    conflict = ConflictOfInterest.objects.get()
    assert (conflict.reviewer, conflict.startup, conflict.reason, conflict.declared_by) == (
        reviewer,
        startup,
        "I advise this start-up.",
        reviewer,
    )
    assert not Assignment.objects.filter(pk=review.assignment_id).exists()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Conflict of interest with {startup.name} recorded. Its applications are no longer "
        "yours to review."
    ]
    assert client.get(review_url(review)).status_code == 404


def test_declare_conflict_after_submitting_keeps_the_review_and_says_so(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    submit(review, reviewing_round["criteria"], [6, 3])
    force_login_verified(client, review.assignment.reviewer)
    response = client.post(conflict_url(review), {"reason": "Met the founder since."})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)][1] == (
        "1 submitted review(s) of this start-up were kept; a coordinator decides whether they "
        "count."
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.SUBMITTED


def test_declare_conflict_without_reason_shows_the_error_on_the_page(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    force_login_verified(client, review.assignment.reviewer)
    response = client.post(conflict_url(review), {"reason": "  "})
    assert response.status_code == 200
    text = response.content.decode()
    assert '<details class="module declare-conflict" open>' in text
    assert "This field is required." in text
    assert not ConflictOfInterest.objects.exists()


def test_declare_conflict_reason_too_long_is_a_form_error(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    force_login_verified(client, review.assignment.reviewer)
    response = client.post(conflict_url(review), {"reason": "x" * 501})
    assert response.status_code == 200
    assert "Ensure this value has at most 500 characters (it has 501)." in (
        response.content.decode()
    )
    assert not ConflictOfInterest.objects.exists()


def test_declare_conflict_for_a_review_id_past_the_column_404(client, reviewing_round):
    force_login_verified(client, reviewing_round["reviewers"][0])
    url = f"{reverse('admin:reviews_review_changelist')}{2**63}/conflict/"
    assert client.post(url, {"reason": "x"}).status_code == 404


def test_declare_conflict_for_another_reviewers_review_404(client, reviewing_round):
    alice_review, bob_review, _ = reviewing_round["reviews"]
    force_login_verified(client, alice_review.assignment.reviewer)
    assert client.post(conflict_url(bob_review), {"reason": "x"}).status_code == 404
    assert not ConflictOfInterest.objects.exists()


def test_declare_conflict_on_review_page_not_for_coordinators(client, coordinator, reviewing_round):
    review = reviewing_round["reviews"][0]
    force_login_verified(client, coordinator)
    assert 'id="conflict-form"' not in client.get(review_url(review)).content.decode()
    assert client.post(conflict_url(review), {"reason": "x"}).status_code == 403
    assert not ConflictOfInterest.objects.exists()


def test_declare_conflict_get_goes_back_to_the_review(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    force_login_verified(client, review.assignment.reviewer)
    response = client.get(conflict_url(review))
    assert (response.status_code, response.url) == (302, review_url(review))


# --- 5. level descriptions -------------------------------------------------------------------


def test_workplace_shows_level_descriptions_beside_the_input(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    team, _market = reviewing_round["criteria"]
    team.levels = {"10": "Built and ran a ledger before", "1": "No relevant experience"}
    team.save(update_fields=["levels"])
    force_login_verified(client, review.assignment.reviewer)
    text = client.get(review_url(review)).content.decode()
    assert (
        f'<dl class="levels" id="levels-{team.pk}">\n'
        "              <dt>1</dt><dd>No relevant experience</dd>"
        "<dt>10</dt><dd>Built and ran a ledger before</dd>\n"
        "            </dl>"
    ) in text


def test_round_api_writes_and_reads_levels(coordinator):
    now = timezone.now()
    body = {
        "name": "2027 Spring intake",
        "opens_at": (now + timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=31)).isoformat(),
        "review_deadline": (now + timedelta(days=61)).isoformat(),
        "criteria": [
            {"name": "Team", "levels": {"1": "Alone", "5": "Core team", "10": "Proven team"}},
            {"name": "Market", "max_score": 5},
        ],
    }
    client = client_for(coordinator)
    created = client.post(ROUNDS, body, format="json")
    assert created.status_code == 201
    criteria = created.json()["criteria"]
    assert [c["levels"] for c in criteria] == [
        {"1": "Alone", "5": "Core team", "10": "Proven team"},
        {},
    ]
    # An update that leaves the levels out keeps them.
    round_id = created.json()["id"]
    renamed = client.patch(
        f"{ROUNDS}{round_id}/",
        {"criteria": [{"id": criteria[0]["id"], "name": "Team and advisors"}]},
        format="json",
    )
    assert renamed.status_code == 200
    assert Criterion.objects.get(pk=criteria[0]["id"]).levels == {
        "1": "Alone",
        "5": "Core team",
        "10": "Proven team",
    }


@pytest.mark.parametrize(
    ("levels", "max_score", "message"),
    [
        ({"11": "Beyond"}, 10, "Criterion 1: Level “11” is not a score from 1 to 10."),
        ({"0": "Nothing"}, 10, "Criterion 1: Level “0” is not a score from 1 to 10."),
        ({"top": "Best"}, 10, "Criterion 1: Level “top” is not a score from 1 to 10."),
        ({"²": "Two"}, 10, "Criterion 1: Level “²” is not a score from 1 to 10."),
        ({"07": "Seven"}, 10, "Criterion 1: Level “07” is not a score from 1 to 10."),
        (
            {"2": "Weak\u202eteam"},
            10,
            "Criterion 1: Level 2: Control characters such as U+202E are not allowed; only line "
            "breaks and tabs are.",
        ),
    ],
)
def test_round_api_bad_levels_400_naming_criteria(coordinator, levels, max_score, message):
    round_ = RoundFactory()
    response = client_for(coordinator).patch(
        f"{ROUNDS}{round_.pk}/",
        {"criteria": [{"name": "Team", "max_score": max_score, "levels": levels}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"criteria": [message]}
    assert not Criterion.objects.filter(round=round_).exists()


def test_round_api_blank_level_400_naming_it(coordinator):
    round_ = RoundFactory()
    response = client_for(coordinator).patch(
        f"{ROUNDS}{round_.pk}/",
        {"criteria": [{"name": "Team", "levels": {"3": " "}}]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "criteria": {"0": {"levels": {"3": ["This field may not be blank."]}}}
    }


def test_round_api_levels_not_an_object_400(coordinator):
    round_ = RoundFactory()
    response = client_for(coordinator).patch(
        f"{ROUNDS}{round_.pk}/",
        {"criteria": [{"name": "Team", "levels": ["Alone", "Team"]}]},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["criteria"]


def test_criterion_inline_in_round_admin_edits_levels(client, django_user_model):
    criterion = CriterionFactory(name="Team", max_score=10)
    superuser = django_user_model.objects.create_superuser("root", "root@example.org", "pw")
    force_login_verified(client, superuser)
    page = client.get(reverse("admin:incubator_round_change", args=[criterion.round_id]))
    assert 'name="criteria-0-levels"' in page.content.decode()


def test_workplace_skips_a_level_key_that_is_no_number(client, reviewing_round):
    review = reviewing_round["reviews"][0]
    team, _market = reviewing_round["criteria"]
    team.levels = {"top": "Written by hand in the database", "3": "Fair"}
    team.save(update_fields=["levels"])
    assert team.sorted_levels() == [(3, "Fair")]
    force_login_verified(client, review.assignment.reviewer)
    assert client.get(review_url(review)).status_code == 200


def test_criterion_clean_refuses_a_level_above_the_scale():
    criterion = CriterionFactory.build(max_score=5, levels={"6": "Beyond"})
    with pytest.raises(ValidationError) as caught:
        criterion.clean()
    assert caught.value.message_dict == {"levels": ["Level “6” is not a score from 1 to 5."]}


# --- in Chinese ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "zh-hant",
            [
                "共 4 份，尚餘 4 份",
                "下一份申請",
                "確定提交這份評審嗎？提交後不可更改：你將無法再修改分數或評語。",
                "申報利益衝突",
                "請輸入 1 至 10 之間的分數。",
            ],
        ),
        (
            "zh-hans",
            [
                "共 4 份，尚余 4 份",
                "下一份申请",
                "确定提交这份评审吗？提交后不可更改：你将无法再修改分数或评语。",
                "申报利益冲突",
                "请输入 1 到 10 之间的分数。",
            ],
        ),
    ],
)
def test_workplace_new_texts_in_chinese(client, queue, language, expected):
    force_login_verified(client, queue["reviewer"])
    text = client.get(review_url(queue["by_day"][1]), HTTP_ACCEPT_LANGUAGE=language)
    content = text.content.decode()
    assert [phrase in content for phrase in expected] == [True] * len(expected)


def test_round_api_level_error_in_traditional_chinese(coordinator):
    round_ = RoundFactory()
    response = client_for(coordinator).patch(
        f"{ROUNDS}{round_.pk}/",
        {"criteria": [{"name": "Team", "max_score": 5, "levels": {"6": "Beyond"}}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hant",
    )
    assert response.json() == {"criteria": ["第 1 項評分標準：分值「6」不在 1 至 5 之間。"]}


def test_assignments_list_query_count_same_for_1_and_many(client, django_assert_num_queries):
    reviewer = ReviewerFactory(username="ada")
    ReviewFactory(assignment=AssignmentFactory(reviewer=reviewer))
    force_login_verified(client, reviewer)
    url = reverse("admin:reviews_assignment_changelist")
    with CaptureQueriesContext(connection) as one:
        assert client.get(url, {"review__status__exact": "draft"}).status_code == 200
    for _ in range(6):
        ReviewFactory(assignment=AssignmentFactory(reviewer=reviewer))
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(url, {"review__status__exact": "draft"})
    assert len(page.context["cl"].result_list) == 7
