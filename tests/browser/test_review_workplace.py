"""A reviewer scores every criterion in the admin, submits, and sees the others anonymised."""

import pytest

from applications.enums import ApplicationStatus
from applications.models import Attachment
from incubator.models import Criterion
from reviews.enums import ReviewStatus
from reviews.models import Review
from reviews.services import assign_reviewers, save_review, submit_review
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    AttachmentFactory,
    CoordinatorFactory,
    ReviewerFactory,
    ReviewFactory,
    RoundFactory,
    StartupFactory,
)
from tests.twofactor import admin_login_in_browser, totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_scores_submits_and_sees_others_anonymised(page, screenshot):
    round_ = RoundFactory(name="2026 Autumn intake")
    criteria = [
        Criterion.objects.create(
            round=round_,
            name="Technology and blockchain fit",
            description="Is a blockchain the right tool, and is it built well?",
            weight=3,
            max_score=10,
            order=1,
        ),
        Criterion.objects.create(
            round=round_,
            name="Team",
            description="Experience, completeness and commitment of the founding team.",
            weight=2,
            max_score=10,
            order=2,
        ),
        Criterion.objects.create(
            round=round_,
            name="Greater Bay Area impact",
            description="Benefit to the cities and industries of the Bay Area.",
            weight=1.5,
            max_score=5,
            order=3,
        ),
    ]
    application = ApplicationFactory(
        round=round_,
        project_name="Cross-border trade ledger",
        startup=StartupFactory(name="Qianhai Settlement Labs"),
        summary="Settles Shenzhen–Hong Kong trade invoices on a permissioned ledger.",
        status=ApplicationStatus.UNDER_REVIEW,
    )
    Attachment.objects.create(
        application=application,
        kind="pitch_deck",
        file="attachments/deck.pdf",
        original_name="qianhai-pitch-2026.pdf",
        size=3_145_728,
        content_type="application/pdf",
        sha256="0" * 64,
    )
    ada = ReviewerFactory(username="ada")
    mine = ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=ada))
    colleague = ReviewFactory(
        assignment=AssignmentFactory(
            application=application, reviewer=ReviewerFactory(username="zhang.wei")
        )
    )
    save_review(
        review=colleague,
        actor=colleague.assignment.reviewer,
        scores={criteria[0].pk: 6, criteria[1].pk: 7, criteria[2].pk: 3},
        recommendation="neutral",
        confidence=3,
        comment="Sound idea; the pilot partner is not confirmed yet.",
    )
    submit_review(review=colleague, actor=colleague.assignment.reviewer)

    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    screenshot(page, "1-index")
    page.goto("/admin/reviews/assignment/")
    screenshot(page, "2-assignments")
    page.click("a.button")
    page.wait_for_selector("#review-form")
    assert page.locator("#other-reviews").inner_text().count("Blind review") == 1
    assert "qianhai-pitch-2026.pdf" in page.locator("body").inner_text()
    page.fill(f"#id_criterion_{criteria[0].pk}", "9")
    page.fill(f"#id_criterion_{criteria[1].pk}", "8")
    page.select_option("#id_recommendation", "accept")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert "Draft saved." in page.locator(".messagelist").inner_text()
    page.fill(f"#id_criterion_{criteria[2].pk}", "4")
    page.select_option("#id_confidence", "4")
    page.fill("#id_comment", "A strong team with a live pilot at Qianhai.")
    screenshot(page, "3-scoring")
    page.once("dialog", lambda dialog: dialog.accept())  # "Submitting is final"
    page.click("input[name=_submit]")
    page.wait_for_selector("#review-status")
    assert page.locator("#review-status").inner_text() == "Submitted"
    others = page.locator("#other-reviews").inner_text()
    assert "Reviewer 2" in others
    assert "the pilot partner is not confirmed yet" in others
    assert "zhang.wei" not in page.content()
    assert page.locator("input[name=_submit]").count() == 0
    screenshot(page, "4-submitted")
    mine.refresh_from_db()
    assert mine.status == ReviewStatus.SUBMITTED
    assert Review.objects.get(pk=mine.pk).scores.count() == 3


def test_coordinator_reads_ranking_and_reviewer_statistics(page, screenshot):

    round_ = RoundFactory(name="2026 Autumn intake", reviews_per_application=2)
    rubric = [
        Criterion.objects.create(round=round_, name="Team", weight=2, max_score=10, order=1),
        Criterion.objects.create(round=round_, name="Market", weight=1, max_score=5, order=2),
    ]
    for name in ("Pearl River Ledger", "Kowloon Custody", "Hengqin Crossborder Pay", "Dinghu Eco"):
        ApplicationFactory(
            round=round_,
            project_name=f"{name} platform",
            startup=StartupFactory(name=name),
            status=ApplicationStatus.SUBMITTED,
        )
    for name in ("harsh.han", "kind.kwan", "mid.mak"):
        ReviewerFactory(username=name)
    assign_reviewers(round=round_, actor=None)
    offsets = {"harsh.han": -3, "kind.kwan": 3, "mid.mak": 0}
    for index, review in enumerate(
        Review.objects.filter(assignment__application__round=round_).select_related(
            "assignment__reviewer"
        )
    ):
        reviewer = review.assignment.reviewer
        base = 5 + (index % 3) + offsets[reviewer.username]
        save_review(
            review=review,
            actor=reviewer,
            scores={rubric[0].pk: max(1, min(10, base)), rubric[1].pk: max(1, min(5, base // 2))},
        )
        submit_review(review=review, actor=reviewer)
    device = totp_device(CoordinatorFactory(username="grace"))
    admin_login_in_browser(page, "grace", "pw", totp_code(device))  # password, then the app's code
    page.goto(f"/admin/reviews/review/ranking/?round={round_.pk}&method=normalized")
    rows = page.locator("table.ranking tbody tr")
    assert rows.count() == 4
    screenshot(page, "ranking")
    page.click("text=Reviewers: progress and statistics")
    page.wait_for_selector("table.stats")
    text = page.locator("table.stats").inner_text()
    assert "harsh.han" in text
    assert "100%" in text
    screenshot(page, "reviewer-statistics")


def test_reviewer_sees_live_total_scale_marks_deck_and_confirms_submitting(page, screenshot):
    round_ = RoundFactory(name="2026 Autumn intake")
    team = Criterion.objects.create(
        round=round_,
        name="Team",
        weight=2,
        max_score=10,
        order=1,
        levels={"1": "No relevant experience", "10": "Built and ran a ledger before"},
    )
    market = Criterion.objects.create(round=round_, name="Market", weight=1, max_score=5, order=2)
    application = ApplicationFactory(round=round_, status=ApplicationStatus.UNDER_REVIEW)
    deck = AttachmentFactory(application=application, original_name="deck.pdf")
    ada = ReviewerFactory(username="ada")
    mine = ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=ada))
    ReviewFactory(assignment=AssignmentFactory(reviewer=ada, application__round=round_))

    page.goto("/admin/login/")
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    page.goto(f"/admin/reviews/review/{mine.pk}/change/")
    page.wait_for_selector("#review-form")
    assert page.locator("#review-queue-left").inner_text() == "2 of 2 left"
    assert page.locator(f"#levels-{team.pk}").inner_text().split() == [
        "1", "No", "relevant", "experience", "10", "Built", "and", "ran", "a", "ledger", "before"
    ]  # fmt: skip

    # The total follows the scores as they are typed: (2 × 7/10 + 1 × 4/5) / 3 × 100.
    total = page.locator("#review-total")
    assert total.inner_text() == "—"
    page.fill(f"#id_criterion_{team.pk}", "7")
    assert total.inner_text() == "—"
    page.fill(f"#id_criterion_{market.pk}", "4")
    assert total.inner_text() == "73.3"
    # A score off its scale is marked at its field, and the total waits for a valid one.
    page.fill(f"#id_criterion_{market.pk}", "9")
    assert page.locator(f"#range-{market.pk}").inner_text() == "Enter a score from 1 to 5."
    assert page.locator(f"#range-{market.pk}").is_visible()
    assert page.locator(f"#id_criterion_{market.pk}").get_attribute("aria-invalid") == "true"
    assert total.inner_text() == "—"
    screenshot(page, "out-of-range")
    page.fill(f"#id_criterion_{market.pk}", "5")
    assert page.locator(f"#range-{market.pk}").is_hidden()
    assert total.inner_text() == "80.0"

    # The pitch deck shows in the browser's own PDF viewer inside the page.
    url = f"/files/{deck.pk}/?disposition=inline"
    assert page.locator("#pitch-deck").get_attribute("src") == url
    viewer = []
    for _ in range(60):  # up to 15 s
        # Chromium's PDF viewer is an extension's page inside the framed document.
        viewer = [
            frame.url
            for frame in page.frames
            if frame.url.startswith("chrome-extension://")
            and frame.parent_frame is not None
            and frame.parent_frame.url.endswith(url)
        ]
        if viewer:
            break
        page.wait_for_timeout(250)
    assert len(viewer) == 1
    screenshot(page, "deck")

    # Submitting asks first, and says it is final; dismissing keeps the draft.
    asked = []

    def answer(dialog, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("input[name=_submit]")
    assert asked == [
        "Submit this review? Submitting is final: you cannot change your scores or comments "
        "afterwards."
    ]
    assert page.locator("#review-status").inner_text() == "Draft"
    mine.refresh_from_db()
    assert mine.status == ReviewStatus.DRAFT
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("input[name=_submit]")
    page.wait_for_selector(".messagelist")
    assert page.locator("#review-status").inner_text() == "Submitted"
    # A submitted review, opened again, shows the total the server computed: no score inputs
    # are left for the script to read, and it must not blank the total.
    page.reload()
    assert page.locator("#review-total").inner_text() == "80.0"
    assert len(asked) == 2
    mine.refresh_from_db()
    assert mine.status == ReviewStatus.SUBMITTED
    assert page.locator("#review-queue-left").inner_text() == "1 of 2 left"
