"""A submitted review's commit has a real worker refit the round's calibrated model."""

import os
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from incubator.celery import app as celery_app
from incubator.models import Criterion
from reviews.models import ApplicationScore, Assignment, Review, RoundCalibration, Score
from reviews.scoring import reviews_signature
from reviews.services import submit_review
from tests.factories import ApplicationFactory, ReviewerFactory, RoundFactory
from tests.reviews.scoring import scored_application

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def worker_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


@pytest.fixture
def worker_queue(transactional_db, start_worker):
    queue = f"calibration-{time.monotonic_ns()}"
    default_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    worker = start_worker(queue=queue, DATABASE_URL=worker_database_url())
    yield worker
    celery_app.conf.task_default_queue = default_queue
    celery_app.conf.task_always_eager = True


def test_submitting_a_review_refits_the_round_in_the_worker(worker_queue):
    round_ = RoundFactory()
    reviewers = [ReviewerFactory() for _ in range(4)]
    for index in range(6):
        panel = [reviewers[(index + k) % 4] for k in range(2)]
        scored_application(round_, [3 + index, 2 + index], reviewers=panel)
    application = ApplicationFactory(round=round_, status="under_review")
    reviewer = reviewers[0]
    assignment = Assignment.objects.create(
        application=application, reviewer=reviewer, due_at=round_.review_deadline
    )
    review = Review.objects.create(assignment=assignment)
    Score.objects.create(review=review, criterion=Criterion.objects.get(round=round_), value=9)
    assert not RoundCalibration.objects.filter(round=round_).exists()

    submit_review(review=review, actor=reviewer)  # commits: the task goes to the worker

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = RoundCalibration.objects.filter(round=round_).first()
        if state is not None and state.signature == reviews_signature(round_):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the worker did not refit the round in time")
    stored = ApplicationScore.objects.get(application=application)
    assert stored.review_count == 1
    assert stored.raw_score == pytest.approx(90.0)
    assert stored.calibrated_score is not None
    # Refitted there, not in this process.
    log = worker_queue.log_path.read_bytes()[worker_queue.log_offset :].decode()
    assert "reviews.refresh_calibration" in log
    assert "succeeded" in log
