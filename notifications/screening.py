"""Consent at delivery (DESIGN.md §12): a provider's row carries only the start-ups that still
consent to share with the provider's kind when it is sent.

The outbox knows nothing of applications or consent: the app that owns the start-ups registers a
`Screen` (ApplicationsConfig.ready) saying which applications a payload carries, which of them
consent to which kinds now (one query for a whole chunk of rows), and how to cut a payload down.
`sending.py` asks `screen_rows` once per chunk (over the rows it claimed) and `screen_row` per
row, under the row's lock.

A row left with no start-up is completed without being sent ("withheld"): status `sent`, no
attempt, `sent_at` the moment it was withheld and `last_error` saying why, so it is never sent
or retried later and the outbox shows what happened.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils import timezone

from .enums import NotificationStatus
from .models import Notification

WITHHELD_NOTE = "withheld: no start-up in it consents to this provider's kind any more"


@dataclass(frozen=True)
class Screen:
    # The ids of the applications whose start-ups a payload carries (empty: not screened).
    subjects: Callable[[dict], set[int]]
    # (application id, provider kind) for each kind an application shares with now: one query.
    consenting: Callable[[set[int]], set[tuple[int, str]]]
    # The payload with only the given applications' start-ups (perhaps none).
    keep: Callable[[dict, set[int]], dict]


_screens: list[Screen] = []


def provide_screen(screen: Screen) -> None:
    """Register how provider payloads are screened for consent (once, at start-up)."""
    if screen not in _screens:
        _screens.append(screen)


@dataclass(frozen=True)
class ChunkConsent:
    """What the chunk's start-ups consent to, read once when the chunk starts."""

    pairs: frozenset[tuple[int, str]]


def screen_rows(rows: Iterable[Notification]) -> ChunkConsent | None:
    """What the chunk's start-ups consent to: one query for the consents its provider rows
    concern (the rows are already read); None when nothing in the chunk needs screening."""
    if not _screens:
        return None
    screen = _screens[0]
    subjects: set[int] = set()
    for row in rows:
        if row.provider_id is not None and row.status == NotificationStatus.PENDING:
            subjects |= screen.subjects(row.payload)
    if not subjects:
        return None
    return ChunkConsent(pairs=frozenset(screen.consenting(subjects)))


def screen_row(row: Notification, consent: ChunkConsent | None) -> bool:
    """Cut the locked row's payload to the start-ups consenting to its provider's kind (as read
    for the chunk: a withdrawal since then has already cut the row itself, see
    applications.notifications.consent_withdrawn) and save it; True when the row may be sent,
    False when it was withheld, nothing being left in it."""
    if not _screens or row.provider is None:
        return True
    screen = _screens[0]
    carried = screen.subjects(row.payload)
    if not carried:
        return True
    pairs = consent.pairs if consent is not None else frozenset()
    allowed = {pk for pk in carried if (pk, row.provider.kind) in pairs}
    if allowed == carried:
        return True
    row.payload = screen.keep(row.payload, allowed)
    if not allowed:
        withhold(row)
        return False
    row.save(update_fields=["payload"])
    return True


def withhold(row: Notification) -> None:
    """Complete a row that has nothing left to send, without sending it."""
    row.status = NotificationStatus.SENT
    row.sent_at = timezone.now()
    row.next_attempt_at = None
    row.last_error = WITHHELD_NOTE
    row.save(update_fields=["payload", "status", "sent_at", "next_attempt_at", "last_error"])
