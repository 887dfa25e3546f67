"""Shortlists: frozen snapshots of a round's ranking, changed by hand only before publishing.

Every function here is a service (one transaction, explicit actor); the admin, the API and the
management commands call them and nothing else writes shortlists.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from applications.enums import ApplicationStatus as Status
from applications.enums import SystemNote
from applications.models import Application
from applications.services import transition_application
from audit.services import personal, record
from incubator.enums import Jurisdiction, Region, ServiceKind, Track, jurisdiction_of_region
from incubator.exceptions import WorkflowError
from incubator.models import Round
from incubator.permissions import is_coordinator
from incubator.text import check_text, text_errors

from . import notifications
from .enums import RankingMethod, ShortlistChangeKind
from .models import Shortlist, ShortlistChange, ShortlistEntry
from .scoring import ranking

# Applications a published shortlist can carry: shortlisted on publishing, or already past it.
SHORTLISTABLE = frozenset({Status.UNDER_REVIEW, Status.SHORTLISTED})
ALREADY_SHORTLISTED = frozenset({Status.SHORTLISTED, Status.ACCEPTED})
REASON_MAX_LENGTH = ShortlistChange._meta.get_field("reason").max_length
FILTER_NAMES = ("track", "region", "needs", "min_reviews", "status")
# The size column's range (a PostgreSQL integer); no round comes near it.
MAX_SIZE = 2**31 - 1


class ShortlistPublished(WorkflowError):
    """A published shortlist is what partners were sent: it no longer changes."""


class ShortlistCannotPublish(WorkflowError):
    """Some entries' applications can no longer be shortlisted."""


def _require_coordinator(actor: AbstractBaseUser | None) -> None:
    if actor is None or not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators manage shortlists."))


def _validate_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The ranking's filters, checked and stored with only the ones that were given."""
    errors: dict[str, str] = {}
    choices = {
        "track": Track.values,
        "region": Region.values,
        "needs": ServiceKind.values,
        "status": Status.values,
    }
    for name, allowed in choices.items():
        value = filters.get(name)
        if value not in (None, "") and value not in allowed:
            errors[name] = _("“%(value)s” is not one of: %(choices)s.") % {
                "value": value,
                "choices": ", ".join(allowed),
            }
    min_reviews = filters.get("min_reviews")
    if min_reviews is not None and (
        not isinstance(min_reviews, int) or not 0 <= min_reviews <= MAX_SIZE
    ):
        errors["min_reviews"] = _("Give a whole number of reviews from 0 to %(max)d.") % {
            "max": MAX_SIZE
        }
    if errors:
        raise ValidationError(errors)
    return {name: filters[name] for name in FILTER_NAMES if filters.get(name) not in (None, "")}


def _validate_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why: the reason is recorded with the change.")})
    check_text({"reason": reason}, long=["reason"])
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX_LENGTH}}
        )
    return reason


def _validate_quotas(quotas: object, size: int | None) -> dict[str, int]:
    """`{jurisdiction: least entries}`: known jurisdictions, whole numbers from 0, and together
    no more than the size."""
    if quotas in (None, ""):
        return {}
    if not isinstance(quotas, dict):
        raise ValidationError(
            {"quotas": _('Give the quotas as an object such as {"hong_kong": 3, "macau": 2}.')}
        )
    unknown = [str(key) for key in quotas if key not in Jurisdiction.values]
    if unknown:
        raise ValidationError(
            {
                "quotas": _("Unknown jurisdictions: %(unknown)s (choose from %(choices)s).")
                % {"unknown": ", ".join(unknown), "choices": ", ".join(Jurisdiction.values)}
            }
        )
    if any(
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE
        for value in quotas.values()
    ):
        raise ValidationError(
            {
                "quotas": _("Each quota is a whole number of entries from 0 to %(max)d.")
                % {"max": MAX_SIZE}
            }
        )
    if size is not None and sum(quotas.values()) > size:
        raise ValidationError(
            {
                "quotas": _(
                    "The quotas add up to %(sum)d, more than the shortlist's size of %(size)d."
                )
                % {"sum": sum(quotas.values()), "size": size}
            }
        )
    return {key: quotas[key] for key in Jurisdiction.values if key in quotas}


def apply_quotas(
    *,
    candidates: list,
    size: int | None,
    quotas: dict[str, int],
    jurisdiction_of,
) -> tuple[list, dict[str, int]]:
    """The entries and the unmet quotas: the first `size` candidates (in rank order), then, for
    each jurisdiction below its quota, its best-ranked remaining candidates take the last places
    of jurisdictions that stay at or above their own quota. Pure: rows in, rows out."""
    chosen = list(candidates if size is None else candidates[:size])
    rest = [] if size is None else candidates[size:]
    held = Counter(jurisdiction_of(row) for row in chosen)
    additions = []
    for jurisdiction, quota in quotas.items():
        wanting = quota - held[jurisdiction]
        if wanting <= 0:
            continue
        extra = [row for row in rest if jurisdiction_of(row) == jurisdiction][:wanting]
        additions.extend(extra)
        held[jurisdiction] += len(extra)
    # Free as many places as were added, from the bottom, never below a quota.
    removed_from: Counter = Counter()
    removed = set()
    for row in reversed(chosen):
        if len(removed) == len(additions):
            break
        jurisdiction = jurisdiction_of(row)
        if held[jurisdiction] - removed_from[jurisdiction] - 1 < quotas.get(jurisdiction, 0):
            continue
        removed_from[jurisdiction] += 1
        removed.add(id(row))
    final = [row for row in chosen if id(row) not in removed] + additions
    counts = Counter(jurisdiction_of(row) for row in final)
    unmet = {j: q - counts[j] for j, q in quotas.items() if counts[j] < q}
    return final, unmet


@dataclass(frozen=True)
class RankedRow:
    pk: int
    status: str
    rank: int
    raw_score: float | None
    normalized_score: float | None
    calibrated_score: float | None
    spread: float | None
    review_count: int
    region: str = ""

    def score(self, method: str) -> float | None:
        if method == RankingMethod.NORMALIZED:
            return self.normalized_score
        if method == RankingMethod.CALIBRATED:
            return self.calibrated_score
        return self.raw_score


def _ranked_rows(round_: Round, method: str, filters: dict[str, Any]) -> list[RankedRow]:
    # The whole ranking in one plain fetch: on PostgreSQL a LIMIT or a server-side cursor
    # (iterator()) makes the planner pick a "first rows fast" plan that is many times slower
    # for these window and CTE queries (measured: 160 s against 9 s at 50,000 applications).
    rows = ranking(round=round_, method=method, **filters).values_list(
        "pk",
        "status",
        "rank",
        "raw_score",
        "normalized_score",
        "calibrated_score",
        "spread",
        "review_count",
        "startup__region",
    )
    return [RankedRow(*row) for row in rows]


def _entry_from_row(shortlist: Shortlist, row: RankedRow) -> ShortlistEntry:
    return ShortlistEntry(
        shortlist=shortlist,
        application_id=row.pk,
        rank=row.rank,
        raw_score=row.raw_score,
        normalized_score=row.normalized_score,
        calibrated_score=row.calibrated_score,
        spread=row.spread,
        review_count=row.review_count or 0,
    )


def create_shortlist(
    *,
    round: Round,
    name: str,
    actor: AbstractBaseUser,
    method: str = RankingMethod.RAW,
    size: int | None = None,
    min_score: float | None = None,
    track: str | None = None,
    region: str | None = None,
    needs: str | None = None,
    min_reviews: int | None = None,
    status: str | None = None,
    quotas: dict[str, int] | None = None,
) -> Shortlist:
    """Freeze the top of the round's ranking: each entry keeps its rank and scores of today.

    `quotas` ({"hong_kong": 3}) are the least entries per jurisdiction: where one is not met by
    rank, the jurisdiction's best-ranked applications take the last places (`apply_quotas`);
    what still falls short is stored in `unmet_quotas`. With `min_score`, those too must score
    at least that.

    `size` keeps the first N, `min_score` those scoring at least that (under `method`); at least
    one of them is needed. Without a `status` filter, only applications under review,
    shortlisted or accepted are taken (a rejected, waitlisted or withdrawn one is skipped, and
    the others keep the rank they have in the ranking).
    """
    _require_coordinator(actor)
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the shortlist a name.")
    elif len(name) > Shortlist._meta.get_field("name").max_length:
        errors["name"] = _("Keep the name under 200 characters.")
    else:
        errors.update(text_errors({"name": name}))
    if method not in RankingMethod.values:
        errors["method"] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": method,
            "choices": ", ".join(RankingMethod.values),
        }
    if size is None and min_score is None:
        errors["size"] = _("Give a size (the top N), a minimum score, or both.")
    elif size is not None and (not isinstance(size, int) or not 1 <= size <= MAX_SIZE):
        errors["size"] = _("The size is a whole number from 1 to %(max)d.") % {"max": MAX_SIZE}
    if errors:
        raise ValidationError(errors)
    quotas = _validate_quotas(quotas, size)
    filters = _validate_filters(
        {
            "track": track,
            "region": region,
            "needs": needs,
            "min_reviews": min_reviews,
            "status": status,
        }
    )

    with transaction.atomic():
        if Shortlist.objects.filter(round=round, name=name).exists():
            raise ValidationError({"name": _("This round already has a shortlist of that name.")})
        try:
            with transaction.atomic():
                shortlist = Shortlist.objects.create(
                    round=round,
                    name=name,
                    method=method,
                    size=size,
                    min_score=min_score,
                    filters=filters,
                    quotas=quotas,
                    created_by=actor,
                )
        except IntegrityError as error:  # a concurrent request took the name first
            raise ValidationError(
                {"name": _("This round already has a shortlist of that name.")}
            ) from error
        candidates = []
        for row in _ranked_rows(round, method, filters):
            # With quotas, the rows past the size may still take a last place.
            if size is not None and len(candidates) >= size and not quotas:
                break
            if status is None and row.status not in SHORTLISTABLE | ALREADY_SHORTLISTED:
                continue
            score = row.score(method)
            if min_score is not None and (score is None or score < min_score):
                # The ranking is ordered by this score: nothing further down qualifies.
                break
            candidates.append(row)
        chosen, unmet = apply_quotas(
            candidates=candidates,
            size=size,
            quotas=quotas,
            jurisdiction_of=lambda row: jurisdiction_of_region(row.region),
        )
        if unmet:
            shortlist.unmet_quotas = unmet
            shortlist.save(update_fields=["unmet_quotas"])
        entries = [_entry_from_row(shortlist, row) for row in chosen]
        entries.sort(key=lambda entry: entry.rank)
        ShortlistEntry.objects.bulk_create(entries, batch_size=2000)
        record(
            actor=actor,
            action="shortlist.created",
            object_type="shortlist",
            object_id=shortlist.pk,
            data={
                "round": round.pk,
                "name": name,
                "method": method,
                "size": size,
                "min_score": _decimal_text(min_score),
                "filters": filters,
                "entries": [_entry_data(entry) for entry in entries],
            },
        )
    return shortlist


def _decimal_text(value: float | None) -> str | None:
    """A score as the audit trail holds it: a decimal string, never a float."""
    return None if value is None else f"{value:.6f}"


def _entry_data(entry: ShortlistEntry) -> dict:
    return {
        "application": entry.application_id,
        "rank": entry.rank,
        "raw_score": _decimal_text(entry.raw_score),
        "normalized_score": _decimal_text(entry.normalized_score),
    }


def _locked_unpublished(shortlist: Shortlist) -> Shortlist:
    locked = Shortlist.objects.select_for_update().get(pk=shortlist.pk)
    if locked.is_published:
        raise ShortlistPublished(
            _(
                "“%(name)s” was published on %(date)s and can no longer change; make a new "
                "shortlist instead."
            )
            % {
                "name": locked.name,
                "date": f"{timezone.localtime(locked.published_at):%Y-%m-%d}",
            }
        )
    return locked


def add_to_shortlist(
    *, shortlist: Shortlist, application: Application, reason: str, actor: AbstractBaseUser
) -> ShortlistEntry:
    """Add an application by hand, with its rank and scores as the ranking gives them now."""
    _require_coordinator(actor)
    reason = _validate_reason(reason)
    with transaction.atomic():
        locked = _locked_unpublished(shortlist)
        if application.round_id != locked.round_id:
            raise ValidationError(
                {"application": _("The application belongs to another round than the shortlist.")}
            )
        if application.status not in SHORTLISTABLE | ALREADY_SHORTLISTED:
            raise ValidationError(
                {
                    "application": _("The application is “%(status)s” and cannot be shortlisted.")
                    % {"status": Status(application.status).label}
                }
            )
        if locked.entries.filter(application=application).exists():
            raise WorkflowError(_("The application is already on this shortlist."))
        row = next(
            (r for r in _ranked_rows(locked.round, locked.method, {}) if r.pk == application.pk),
            None,
        )
        if row is not None:
            entry = _entry_from_row(locked, row)
        else:  # not ranked yet (no submitted review): placed after everything
            last = locked.entries.order_by("-rank").values_list("rank", flat=True).first() or 0
            entry = ShortlistEntry(shortlist=locked, application=application, rank=last + 1)
        entry.save()
        ShortlistChange.objects.create(
            shortlist=locked,
            application=application,
            kind=ShortlistChangeKind.ADDED,
            reason=reason,
            actor=actor,
        )
        record(
            actor=actor,
            action="shortlist.changed",
            object_type="shortlist",
            object_id=locked.pk,
            data={"added": _entry_data(entry), "reason": personal(reason)},
        )
    return entry


def remove_from_shortlist(
    *, shortlist: Shortlist, application: Application, reason: str, actor: AbstractBaseUser
) -> None:
    """Take an application off a shortlist that is not published yet, with the reason."""
    _require_coordinator(actor)
    reason = _validate_reason(reason)
    with transaction.atomic():
        locked = _locked_unpublished(shortlist)
        deleted, _by_model = locked.entries.filter(application=application).delete()
        if not deleted:
            raise ValidationError({"application": _("The application is not on this shortlist.")})
        ShortlistChange.objects.create(
            shortlist=locked,
            application=application,
            kind=ShortlistChangeKind.REMOVED,
            reason=reason,
            actor=actor,
        )
        record(
            actor=actor,
            action="shortlist.changed",
            object_type="shortlist",
            object_id=locked.pk,
            data={"removed": {"application": application.pk}, "reason": personal(reason)},
        )


def _unpublishable(applications: Iterable[Application]) -> list[Application]:
    return [a for a in applications if a.status not in SHORTLISTABLE | ALREADY_SHORTLISTED]


def publish_shortlist(*, shortlist: Shortlist, actor: AbstractBaseUser) -> Shortlist:
    """Shortlist every entry's application and record who published it and when.

    Publishing again changes nothing and sends nothing (it returns the shortlist as it is). If
    an entry's application can no longer be shortlisted (withdrawn, rejected, waitlisted since),
    nothing is published and the message names them, so they can be removed with a reason.
    """
    _require_coordinator(actor)
    with transaction.atomic():
        locked = Shortlist.objects.select_for_update().get(pk=shortlist.pk)
        if locked.is_published:
            return locked
        applications = list(
            Application.objects.select_for_update()
            .filter(shortlist_entries__shortlist=locked)
            .select_related("startup")
            .order_by("pk")
        )
        blocked = _unpublishable(applications)
        if blocked:
            names = pgettext("between parts of a reason", "; ").join(
                _("%(application)s (%(status)s)")
                % {"application": a, "status": Status(a.status).label}
                for a in blocked
            )
            raise ShortlistCannotPublish(
                _(
                    "These applications can no longer be shortlisted: %(names)s. Remove them "
                    "from the shortlist (with a reason) and publish again."
                )
                % {"names": names}
            )
        if not applications:
            raise ShortlistCannotPublish(_("The shortlist is empty: there is nothing to publish."))
        for application in applications:
            if application.status == Status.UNDER_REVIEW:
                transition_application(
                    application=application,
                    to_status=Status.SHORTLISTED,
                    actor=actor,
                    system_note=SystemNote.SHORTLIST_PUBLISHED,
                    system_note_params={"shortlist": locked.name},
                )
        locked.published_at = timezone.now()
        locked.published_by = actor
        locked.save(update_fields=["published_at", "published_by"])
        record(
            actor=actor,
            action="shortlist.published",
            object_type="shortlist",
            object_id=locked.pk,
            data={"applications": [application.pk for application in applications]},
        )
        # Providers and applicants are told in this transaction (the outbox), once.
        notifications.shortlist_published(shortlist=locked)
    return locked


def quotas_in_words(quotas: dict[str, int]) -> str:
    """“Hong Kong: 3, Macau: 2” in the active language; empty for no quotas."""
    return ", ".join(
        f"{Jurisdiction(key).label}: {quotas[key]}" for key in Jurisdiction.values if key in quotas
    )
