"""Realistic data at any size for the benchmarks: a round, its rubric, reviewers, start-ups,
applications and (optionally) assignments with submitted reviews.

Each application has a hidden true quality, each reviewer a leniency bias and a noise level;
a score is the scale's middle moved by quality + bias + noise, clamped to the scale. Regions,
tracks, stages and needs follow the uneven mix a real intake has. Rows are written with
bulk_create in batches, so 50,000 applications take a few minutes, not hours.

Use it through `manage.py generate_bench_data` (see bench/README.md).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from applications.enums import ApplicationStatus
from applications.models import Application, Startup
from incubator.enums import Currency, Region, Stage, Track
from incubator.models import DEFAULT_PROGRAMME_NAME, Criterion, Programme, Round
from incubator.permissions import REVIEWERS_GROUP
from reviews.enums import Recommendation, ReviewStatus
from reviews.models import Assignment, Review, ReviewerProfile, Score

BATCH = 5000

# Uneven, like a real intake: most start-ups from the big cities and Hong Kong.
REGION_WEIGHTS = {
    Region.GUANGZHOU: 22,
    Region.SHENZHEN: 25,
    Region.HONG_KONG: 16,
    Region.MACAU: 5,
    Region.ZHUHAI: 6,
    Region.FOSHAN: 6,
    Region.DONGGUAN: 6,
    Region.HUIZHOU: 3,
    Region.ZHONGSHAN: 3,
    Region.JIANGMEN: 2,
    Region.ZHAOQING: 2,
    Region.OUTSIDE_GBA: 4,
}
TRACK_WEIGHTS = {
    Track.FINANCE: 30,
    Track.SUPPLY_CHAIN: 20,
    Track.INFRASTRUCTURE: 15,
    Track.HEALTHCARE: 9,
    Track.GOVERNMENT: 8,
    Track.EDUCATION: 6,
    Track.TOURISM: 5,
    Track.OTHER: 7,
}
STAGE_WEIGHTS = {
    Stage.IDEA: 15,
    Stage.PROTOTYPE: 35,
    Stage.PILOT: 25,
    Stage.REVENUE: 18,
    Stage.SCALE: 7,
}
CRITERION_NAMES = [
    "Technology and blockchain fit",
    "Team",
    "Market and business model",
    "Greater Bay Area impact",
    "Readiness for incubation",
    "Security and compliance",
    "Traction",
    "Use of funds",
    "Openness and standards",
    "Social impact",
]


@dataclass
class BenchRound:
    round: Round
    quality: dict[int, float] = field(default_factory=dict)  # application id → true quality
    bias: dict[int, float] = field(default_factory=dict)  # reviewer id → leniency bias


def _needs_and_consent(rng) -> dict[str, bool]:
    """Needs, and consent to share with each of them (DESIGN.md §12). The random numbers drawn
    are the needs' alone, so a seed generates the same applications as before consent."""
    needs = {
        "fund": rng.random() < 0.6,
        "training": rng.random() < 0.45,
        "testing": rng.random() < 0.3,
    }
    return {
        **{f"needs_{kind}": needed for kind, needed in needs.items()},
        **{f"share_{kind}": needed for kind, needed in needs.items()},
    }


def _pick(rng: random.Random, weights: dict, k: int) -> list:
    return rng.choices(list(weights), weights=list(weights.values()), k=k)


def generate(
    *,
    applications: int,
    reviewers: int,
    criteria: int = 6,
    seed: int = 1,
    reviews_per_application: int = 3,
    with_reviews: bool = True,
    submitted_fraction: float = 1.0,
    quality_sd: float = 1.0,
    bias_sd: float = 0.6,
    noise_sd: float = 0.6,
    name: str | None = None,
) -> BenchRound:
    """Write one benchmark round and return it with the hidden truth behind its scores."""
    rng = random.Random(seed)
    now = timezone.now()
    programme, _ = Programme.objects.get_or_create(name=DEFAULT_PROGRAMME_NAME)
    name = name or f"Bench seed {seed}: {applications} applications"
    User = get_user_model()
    with transaction.atomic():
        round_ = Round.objects.create(
            programme=programme,
            name=name,
            opens_at=now - timedelta(days=60),
            closes_at=now - timedelta(days=1),
            review_deadline=now + timedelta(days=30),
            reviews_per_application=reviews_per_application,
        )
        rubric = Criterion.objects.bulk_create(
            Criterion(
                round=round_,
                name=CRITERION_NAMES[i % len(CRITERION_NAMES)]
                + ("" if i < len(CRITERION_NAMES) else f" {i}"),
                weight=Decimal(rng.choice(["1", "1.5", "2", "3"])),
                max_score=rng.choice([5, 10, 10, 10]),
                order=i,
            )
            for i in range(criteria)
        )
        tag = f"b{round_.pk}"
        users = User.objects.bulk_create(
            User(username=f"{tag}-reviewer{i}", email=f"{tag}-reviewer{i}@bench.example")
            for i in range(reviewers)
        )
        group = Group.objects.get_or_create(name=REVIEWERS_GROUP)[0]
        group.user_set.add(*users)
        tracks = list(TRACK_WEIGHTS)
        ReviewerProfile.objects.bulk_create(
            ReviewerProfile(
                user=user,
                expertise=rng.sample(tracks, rng.randint(1, 3)),
                max_load=max(
                    1,
                    int(applications * reviews_per_application / max(reviewers, 1) * 1.5) + 1,
                ),
            )
            for user in users
        )
        startups = Startup.objects.bulk_create(
            (
                Startup(
                    name=f"Bench start-up {tag}-{i}",
                    region=region,
                    contact_email=f"founder{i}@{tag}.bench.example",
                    team_size=rng.randint(2, 60),
                )
                for i, region in enumerate(_pick(rng, REGION_WEIGHTS, applications))
            ),
            batch_size=BATCH,
        )
        status = ApplicationStatus.UNDER_REVIEW if with_reviews else ApplicationStatus.SUBMITTED
        track_of = _pick(rng, TRACK_WEIGHTS, applications)
        stage_of = _pick(rng, STAGE_WEIGHTS, applications)
        apps = Application.objects.bulk_create(
            (
                Application(
                    round=round_,
                    startup=startup,
                    project_name=f"Project {i}",
                    track=track_of[i],
                    stage=stage_of[i],
                    summary="Generated for the benchmarks.",
                    funding_amount=Decimal(rng.randrange(100, 50_000) * 100),
                    funding_currency=rng.choice(Currency.values),
                    **_needs_and_consent(rng),
                    status=status,
                    submitted_at=now - timedelta(days=rng.randint(2, 50)),
                )
                for i, startup in enumerate(startups)
            ),
            batch_size=BATCH,
        )
        truth = BenchRound(round=round_)
        truth.quality = {app.pk: rng.gauss(0, quality_sd) for app in apps}
        truth.bias = {user.pk: rng.gauss(0, bias_sd) for user in users}
        if with_reviews:
            _write_reviews(
                rng=rng,
                round_=round_,
                apps=apps,
                users=users,
                rubric=rubric,
                truth=truth,
                per_application=min(reviews_per_application, reviewers),
                submitted_fraction=submitted_fraction,
                noise_sd=noise_sd,
            )
    return truth


def _write_reviews(
    *, rng, round_, apps, users, rubric, truth, per_application, submitted_fraction, noise_sd
):
    # Balanced: walk a shuffled ring of reviewers, so loads differ by at most one.
    ring = users[:]
    rng.shuffle(ring)
    position = 0
    assignments = []
    for app in apps:
        for offset in range(per_application):
            reviewer = ring[(position + offset) % len(ring)]
            assignments.append(
                Assignment(application=app, reviewer=reviewer, due_at=round_.review_deadline)
            )
        position += per_application
    assignments = Assignment.objects.bulk_create(assignments, batch_size=BATCH)
    now = timezone.now()
    reviews = []
    for assignment in assignments:
        submitted = rng.random() < submitted_fraction
        reviews.append(
            Review(
                assignment=assignment,
                status=ReviewStatus.SUBMITTED if submitted else ReviewStatus.DRAFT,
                submitted_at=now if submitted else None,
                confidence=rng.randint(2, 5),
            )
        )
    reviews = Review.objects.bulk_create(reviews, batch_size=BATCH)
    scores = []
    recommendations = list(Recommendation)
    for review, assignment in zip(reviews, assignments, strict=True):
        signal = truth.quality[assignment.application_id] + truth.bias[assignment.reviewer_id]
        signal += rng.gauss(0, noise_sd)
        for criterion in rubric:
            middle = (criterion.max_score + 1) / 2
            step = criterion.max_score / 6
            value = round(middle + step * (signal + rng.gauss(0, 0.3)))
            scores.append(
                Score(
                    review=review,
                    criterion=criterion,
                    value=min(criterion.max_score, max(1, value)),
                )
            )
        review.recommendation = recommendations[min(4, max(0, int(2 - signal * 1.5)))]
        if len(scores) >= BATCH * 4:
            Score.objects.bulk_create(scores, batch_size=BATCH)
            scores = []
    Score.objects.bulk_create(scores, batch_size=BATCH)
    Review.objects.bulk_update(reviews, ["recommendation"], batch_size=BATCH)
