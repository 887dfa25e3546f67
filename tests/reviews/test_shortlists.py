"""Shortlist services: a frozen snapshot, changes with reasons, publishing exactly once."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applications.enums import ApplicationStatus
from applications.models import StatusChange
from incubator.enums import Track
from reviews.enums import ShortlistChangeKind
from reviews.models import Score, ShortlistChange
from reviews.shortlists import (
    ShortlistCannotPublish,
    ShortlistPublished,
    add_to_shortlist,
    create_shortlist,
    publish_shortlist,
    remove_from_shortlist,
)
from tests.factories import ApplicationFactory, CoordinatorFactory, ReviewerFactory, RoundFactory
from tests.reviews.scoring import scored_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_():
    return RoundFactory()


@pytest.fixture
def ranked(round_):
    """Four applications ranked 90, 70, 50, 30."""
    return [scored_application(round_, [v, v]) for v in (9, 7, 5, 3)]


def entries_of(shortlist):
    return list(
        shortlist.entries.order_by("rank").values_list(
            "rank", "application_id", "raw_score", "review_count"
        )
    )


def test_create_shortlist_keeps_top_n_with_rank_and_scores(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 2", actor=coordinator, size=2)

    assert entries_of(shortlist) == [(1, ranked[0].pk, 90.0, 2), (2, ranked[1].pk, 70.0, 2)]
    assert shortlist.created_by == coordinator
    assert shortlist.filters == {}


def test_create_shortlist_min_score_and_filters(round_, ranked, coordinator):
    other_track = scored_application(round_, [10], track=Track.HEALTHCARE)

    by_score = create_shortlist(round=round_, name="50+", actor=coordinator, min_score=50)
    by_track = create_shortlist(
        round=round_, name="Health", actor=coordinator, size=5, track=Track.HEALTHCARE
    )

    assert [e[1] for e in entries_of(by_score)] == [other_track.pk] + [a.pk for a in ranked[:3]]
    assert entries_of(by_track) == [(1, other_track.pk, 100.0, 1)]
    assert by_track.filters == {"track": "healthcare"}


def test_create_shortlist_skips_applications_that_cannot_be_shortlisted(round_, coordinator):
    rejected = scored_application(round_, [10], status=ApplicationStatus.REJECTED)
    kept = scored_application(round_, [8])

    shortlist = create_shortlist(round=round_, name="Top", actor=coordinator, size=5)

    assert entries_of(shortlist) == [(2, kept.pk, 80.0, 1)]
    assert rejected.pk not in [e[1] for e in entries_of(shortlist)]


def test_create_shortlist_is_a_frozen_snapshot(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 2", actor=coordinator, size=2)
    before = entries_of(shortlist)

    Score.objects.filter(review__assignment__application=ranked[3]).update(value=10)

    assert entries_of(shortlist) == before


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"name": "x"}, "size"),
        ({"name": "x", "size": 0}, "size"),
        ({"name": "", "size": 3}, "name"),
        ({"name": "x", "size": 3, "method": "median"}, "method"),
        ({"name": "x", "size": 3, "track": "space"}, "track"),
        ({"name": "x", "size": 3, "min_reviews": -1}, "min_reviews"),
    ],
)
def test_create_shortlist_bad_value_names_the_field(round_, coordinator, arguments, field):
    with pytest.raises(ValidationError) as error:
        create_shortlist(round=round_, actor=coordinator, **arguments)

    assert field in error.value.message_dict
    assert round_.shortlists.count() == 0


def test_create_shortlist_duplicate_name_is_refused(round_, ranked, coordinator):
    create_shortlist(round=round_, name="Top", actor=coordinator, size=1)

    with pytest.raises(ValidationError) as error:
        create_shortlist(round=round_, name="Top", actor=coordinator, size=2)

    assert list(error.value.message_dict) == ["name"]


def test_create_shortlist_refuses_a_reviewer(round_, ranked):
    with pytest.raises(PermissionDenied):
        create_shortlist(round=round_, name="Top", actor=ReviewerFactory(), size=1)


def test_add_and_remove_record_the_reason(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 1", actor=coordinator, size=1)

    entry = add_to_shortlist(
        shortlist=shortlist, application=ranked[2], reason="Strong pilot", actor=coordinator
    )
    remove_from_shortlist(
        shortlist=shortlist, application=ranked[0], reason="Conflict found", actor=coordinator
    )

    assert (entry.rank, entry.raw_score, entry.review_count) == (3, 50.0, 2)
    assert entries_of(shortlist) == [(3, ranked[2].pk, 50.0, 2)]
    changes = list(
        ShortlistChange.objects.values_list("application_id", "kind", "reason", "actor_id")
    )
    assert changes == [
        (ranked[2].pk, ShortlistChangeKind.ADDED, "Strong pilot", coordinator.pk),
        (ranked[0].pk, ShortlistChangeKind.REMOVED, "Conflict found", coordinator.pk),
    ]


def test_add_to_shortlist_needs_a_reason_and_the_same_round(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 1", actor=coordinator, size=1)
    elsewhere = ApplicationFactory(status=ApplicationStatus.UNDER_REVIEW)

    with pytest.raises(ValidationError) as no_reason:
        add_to_shortlist(shortlist=shortlist, application=ranked[1], reason=" ", actor=coordinator)
    with pytest.raises(ValidationError) as other_round:
        add_to_shortlist(shortlist=shortlist, application=elsewhere, reason="x", actor=coordinator)

    assert list(no_reason.value.message_dict) == ["reason"]
    assert list(other_round.value.message_dict) == ["application"]
    assert shortlist.entries.count() == 1
    assert ShortlistChange.objects.count() == 0


def test_publish_shortlist_moves_entries_through_the_status_service(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 2", actor=coordinator, size=2)

    published = publish_shortlist(shortlist=shortlist, actor=coordinator)

    assert published.published_by == coordinator
    assert published.published_at is not None
    for application in ranked[:2]:
        application.refresh_from_db()
        assert application.status == ApplicationStatus.SHORTLISTED
    changes = StatusChange.objects.filter(to_status=ApplicationStatus.SHORTLISTED)
    assert sorted(changes.values_list("application_id", flat=True)) == [a.pk for a in ranked[:2]]
    assert set(changes.values_list("actor_id", flat=True)) == {coordinator.pk}
    ranked[2].refresh_from_db()
    assert ranked[2].status == ApplicationStatus.UNDER_REVIEW


def test_publish_shortlist_twice_changes_nothing(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 2", actor=coordinator, size=2)
    first = publish_shortlist(shortlist=shortlist, actor=coordinator)

    second = publish_shortlist(shortlist=shortlist, actor=CoordinatorFactory())

    assert StatusChange.objects.count() == 2
    assert (second.published_at, second.published_by) == (first.published_at, coordinator)


def test_published_shortlist_no_longer_changes(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 1", actor=coordinator, size=1)
    publish_shortlist(shortlist=shortlist, actor=coordinator)

    with pytest.raises(ShortlistPublished):
        add_to_shortlist(shortlist=shortlist, application=ranked[1], reason="x", actor=coordinator)
    with pytest.raises(ShortlistPublished):
        remove_from_shortlist(
            shortlist=shortlist, application=ranked[0], reason="x", actor=coordinator
        )
    assert entries_of(shortlist) == [(1, ranked[0].pk, 90.0, 2)]


def test_publish_shortlist_refuses_when_an_entry_was_withdrawn(round_, ranked, coordinator):
    shortlist = create_shortlist(round=round_, name="Top 2", actor=coordinator, size=2)
    ranked[1].status = ApplicationStatus.WITHDRAWN
    ranked[1].save(update_fields=["status"])

    with pytest.raises(ShortlistCannotPublish) as error:
        publish_shortlist(shortlist=shortlist, actor=coordinator)

    assert ranked[1].project_name in error.value.message
    shortlist.refresh_from_db()
    assert shortlist.published_at is None
    assert StatusChange.objects.count() == 0


@pytest.mark.parametrize(
    ("arguments", "errors"),
    [
        ({"size": 2**31}, {"size": ["The size is a whole number from 1 to 2147483647."]}),
        (
            {"size": 1, "min_reviews": 2**31},
            {"min_reviews": ["Give a whole number of reviews from 0 to 2147483647."]},
        ),
    ],
)
def test_create_shortlist_number_beyond_the_column_is_refused(coordinator, arguments, errors):
    round_ = RoundFactory()

    with pytest.raises(ValidationError) as refused:
        create_shortlist(round=round_, name="Huge", actor=coordinator, **arguments)

    assert refused.value.message_dict == errors
    assert round_.shortlists.count() == 0
