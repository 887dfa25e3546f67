"""Writes of the programme's own data: rounds with their rubric; the checks of a new login's
fields that every kind of account shares; and the changes a coordinator may make to an account
it manages (names, e-mail, active, password: never roles, groups or permissions)."""

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from audit.services import canonical_json, content_hash, record

from .enums import PanelRule
from .exceptions import WorkflowError
from .models import (
    DEFAULT_PROGRAMME_NAME,
    Criterion,
    Programme,
    Question,
    Round,
    level_problems,
)
from .permissions import can_manage_account, can_take_over_account, is_coordinator
from .questions import MAX_QUESTIONS, as_decimal, definition_errors
from .text import text_errors

ROUND_FIELDS = (
    "name",
    "opens_at",
    "closes_at",
    "review_deadline",
    "reviews_per_application",
    "panel_rule",
)
# Changing these on a criterion that has scores would change what the scores mean.
SCORED_CRITERION_FIELDS = ("weight", "max_score")


class RubricLocked(WorkflowError):
    """The rubric already has scores: a change would invalidate them."""


# Whether a criterion has been scored is known to the reviewing above this layer. It names, at
# start-up (ReviewsConfig.ready), a function giving the ids of a round's scored criteria, so the
# rubric's owner can refuse a change that would alter what those scores mean.
ScoredCriteria = Callable[[Round], set[int]]
_scored_criteria_sources: list[ScoredCriteria] = []


def provide_scored_criteria(source: ScoredCriteria) -> None:
    if source not in _scored_criteria_sources:
        _scored_criteria_sources.append(source)


def scored_criteria(round_: Round) -> set[int]:
    """Ids of the round's criteria that reviewers have scored."""
    scored: set[int] = set()
    for source in _scored_criteria_sources:
        scored |= source(round_)
    return scored


class QuestionsFrozen(WorkflowError):
    """The round has a submission: its questions may no longer change."""


# Answers live in the applications above this layer. It names, at start-up
# (ApplicationsConfig.ready), whether a round has had a submission (the questions freeze then) and
# what to do with the drafts' answers when the questions change before that.
RoundSubmitted = Callable[[Round], bool]
QuestionsChanged = Callable[..., None]
_round_submitted_sources: list[RoundSubmitted] = []
_questions_changed_handlers: list[QuestionsChanged] = []


def provide_round_submitted(source: RoundSubmitted) -> None:
    if source not in _round_submitted_sources:
        _round_submitted_sources.append(source)


def on_questions_changed(handler: QuestionsChanged) -> None:
    """`handler(round_=…, questions=[Question], removed=[{"key", "label"}], actor=…)` runs in
    the transaction that changed the round's questions."""
    if handler not in _questions_changed_handlers:
        _questions_changed_handlers.append(handler)


def round_has_submission(round_: Round) -> bool:
    """Whether any application of the round has been submitted (its questions are frozen)."""
    return any(source(round_) for source in _round_submitted_sources)


def _ensure_coordinator(actor: AbstractBaseUser) -> None:
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators may do this."))


# A round's dates fall in this span of years: far outside it a date is a typing error, and
# before 1904 the region's clocks kept local mean time (an offset like +08:05:43).
ROUND_YEARS = (2000, 2999)


def _check_round(round_: Round) -> None:
    errors: dict[str, list[str]] = text_errors({"name": round_.name})
    for name in ("opens_at", "closes_at", "review_deadline"):
        moment = getattr(round_, name)
        if moment and not ROUND_YEARS[0] <= moment.year <= ROUND_YEARS[1]:
            errors[name] = [
                _("Enter a date between the years %(first)d and %(last)d.")
                % {"first": ROUND_YEARS[0], "last": ROUND_YEARS[1]}
            ]
    if round_.opens_at and round_.closes_at and round_.closes_at <= round_.opens_at:
        errors["closes_at"] = [_("A round must close after it opens.")]
    if round_.closes_at and round_.review_deadline and round_.review_deadline < round_.closes_at:
        errors["review_deadline"] = [_("The review deadline cannot be before the round closes.")]
    if round_.reviews_per_application is not None and not 1 <= round_.reviews_per_application <= 20:
        errors["reviews_per_application"] = [_("Enter a number from 1 to 20.")]
    try:
        round_.full_clean(exclude=["programme"], validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if (
        "name" not in errors
        and Round.objects.filter(programme_id=round_.programme_id, name=round_.name)
        .exclude(pk=round_.pk)
        .exists()
    ):
        errors["name"] = [_("The programme already has a round of this name.")]
    if errors:
        raise ValidationError(errors)


def _check_criteria(criteria: list[dict]) -> None:
    names = [str(item.get("name", "")).strip() for item in criteria]
    problems = []
    for index, item in enumerate(criteria):
        if not names[index]:
            problems.append(_("Criterion %(n)d: the name is required.") % {"n": index + 1})
        weight = item.get("weight", Decimal("1"))
        if weight is not None and Decimal(weight) <= 0:
            problems.append(_("Criterion %(n)d: the weight must be above 0.") % {"n": index + 1})
        max_score = item.get("max_score", 10)
        if max_score is not None and not 1 <= int(max_score) <= 100:
            problems.append(
                _("Criterion %(n)d: the maximum score must be from 1 to 100.") % {"n": index + 1}
            )
        max_score = int(max_score) if max_score is not None else 10
        for problem in level_problems(item.get("levels"), max_score):
            problems.append(
                _("Criterion %(n)d: %(problem)s") % {"n": index + 1, "problem": problem}
            )
    if len(set(names)) != len(names):
        problems.append(_("Two criteria of a round cannot have the same name."))
    if problems:
        raise ValidationError({"criteria": problems})


def _write_criteria(*, round_: Round, criteria: list[dict]) -> None:
    """Make the round's rubric equal to `criteria`: update by id, create new, delete missing."""
    _check_criteria(criteria)
    existing = {c.pk: c for c in Criterion.objects.select_for_update().filter(round=round_)}
    scored = scored_criteria(round_)
    kept_ids = {item["id"] for item in criteria if item.get("id") is not None}
    unknown = kept_ids - set(existing)
    if unknown:
        raise ValidationError(
            {
                "criteria": [
                    _("Criterion %(id)s is not part of this round.")
                    % {"id": ", ".join(map(str, sorted(unknown)))}
                ]
            }
        )
    if scored:
        removed = [existing[pk].name for pk in scored if pk not in kept_ids]
        added = [item for item in criteria if item.get("id") is None]
        changed = [
            existing[item["id"]].name
            for item in criteria
            if item.get("id") in scored
            and any(
                field in item
                and Decimal(item[field]) != Decimal(getattr(existing[item["id"]], field))
                for field in SCORED_CRITERION_FIELDS
            )
        ]
        if removed or added or changed:
            raise RubricLocked(
                _(
                    "Reviewers have already scored this rubric: criteria cannot be added or "
                    "removed, and the weight or maximum score of a scored criterion cannot change "
                    "(only names and descriptions can)."
                )
            )
    Criterion.objects.filter(round=round_).exclude(pk__in=kept_ids).delete()
    for order, item in enumerate(criteria):
        values = {
            "name": str(item["name"]).strip(),
            "description": item.get("description", "") or "",
            "weight": item.get("weight", Decimal("1")),
            "max_score": item.get("max_score", 10),
            "order": order,
        }
        # Optional: an update that leaves the levels out keeps those the criterion has.
        if "levels" in item or item.get("id") is None:
            values["levels"] = item.get("levels") or {}
        if item.get("id") is not None:
            criterion = existing[item["id"]]
            for field, value in values.items():
                setattr(criterion, field, value)
            # Free the names first would need two passes; a rename to a sibling's old name is rare.
            criterion.save(update_fields=list(values))
        else:
            Criterion.objects.create(round=round_, **values)


def rubric_snapshot(round_: Round) -> list[dict]:
    """The round's rubric as its audit events hold it: weights as decimal strings."""
    return [
        {
            "id": criterion.pk,
            "name": criterion.name,
            "weight": str(criterion.weight),
            "max_score": criterion.max_score,
            "order": criterion.order,
        }
        for criterion in Criterion.objects.filter(round=round_).order_by("order", "pk")
    ]


def round_snapshot(round_: Round, fields: Iterable[str] = ROUND_FIELDS) -> dict:
    """A round's settings (those named) as an audit event holds them."""
    values: dict = {}
    for name in fields:
        value = getattr(round_, name if name != "programme" else "programme_id")
        values[name] = value
    return values


def record_round_change(
    *,
    actor: AbstractBaseUser | None,
    round_: Round,
    created: bool,
    fields: Iterable[str] = (),
    rubric: bool = False,
) -> None:
    """The audit event of a round made or changed (by the API, the admin or a command)."""
    data: dict = {"fields": round_snapshot(round_, fields)}
    if created or rubric:
        data["criteria"] = rubric_snapshot(round_)
    record(
        actor=actor,
        action="round.created" if created else "round.changed",
        object_type="round",
        object_id=round_.pk,
        data=data,
    )


QUESTION_DEFAULTS = {
    "help": {},
    "required": False,
    "choices": [],
    "min": None,
    "max": None,
    "max_length": None,
    "share_with_providers": False,
}


def _number_text(value: object) -> str | None:
    number = as_decimal(value)
    return None if number is None else format(number.normalize(), "f")


def question_fingerprint(definitions: list[dict]) -> list[dict]:
    """The definitions in a canonical form (limits as decimal strings), in order: what the
    freeze compares and the audit trail hashes."""
    return [
        {
            "key": item["key"],
            "kind": item["kind"],
            "label": dict(item.get("label") or {}),
            "help": dict(item.get("help") or {}),
            "required": bool(item.get("required")),
            "choices": list(item.get("choices") or []),
            "min": _number_text(item.get("min")),
            "max": _number_text(item.get("max")),
            "max_length": item.get("max_length"),
            "share_with_providers": bool(item.get("share_with_providers")),
        }
        for item in definitions
    ]


def check_questions(questions: list[dict]) -> list[dict]:
    """Check a round's question list (as the API and the admin give it); answer it in order,
    with defaults filled in. Errors name `questions[i].field` (i from 0)."""
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError(
            {
                "questions": [
                    _("A round has at most %(max)d questions; this list has %(count)d.")
                    % {"max": MAX_QUESTIONS, "count": len(questions)}
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    keys: dict[str, int] = {}
    items = []
    for index, given in enumerate(questions):
        if not isinstance(given, dict):
            errors[f"questions[{index}]"] = [_("Give each question as an object.")]
            continue
        item = {**QUESTION_DEFAULTS, **{k: v for k, v in given.items() if v is not None}}
        item.setdefault("help", {})
        for field, problems in definition_errors(item).items():
            errors[f"questions[{index}].{field}"] = problems
        key = item.get("key")
        if isinstance(key, str):
            if key in keys:
                errors.setdefault(f"questions[{index}].key", []).append(
                    _("Two questions of a round cannot have the same key “%(key)s”.") % {"key": key}
                )
            keys[key] = index
        order = item.get("order")
        if isinstance(order, bool) or not isinstance(order, int):
            order = index
        items.append((order, index, item))
    if errors:
        raise ValidationError(errors)
    return [item for _order, _index, item in sorted(items, key=lambda t: (t[0], t[1]))]


def _write_questions(*, round_: Round, questions: list[dict], actor: AbstractBaseUser) -> None:
    """Make the round's questions equal to `questions` (matched by key): refused once the round
    has a submission, unless nothing changes."""
    items = check_questions(questions)
    existing = list(
        Question.objects.select_for_update().filter(round=round_).order_by("order", "id")
    )
    before = question_fingerprint([q.definition() for q in existing])
    after = question_fingerprint(items)
    if before == after:
        return
    if round_has_submission(round_):
        raise QuestionsFrozen(
            _(
                "The round “%(round)s” already has a submitted application: its questions can no "
                "longer change, so that the answers given keep their meaning."
            )
            % {"round": round_.name}
        )
    by_key = {q.key: q for q in existing}
    kept = {item["key"] for item in items}
    removed = [{"key": q.key, "label": q.label} for q in existing if q.key not in kept]
    Question.objects.filter(round=round_).exclude(key__in=kept).delete()
    saved = []
    for order, item in enumerate(items):
        values = {
            "kind": item["kind"],
            "label": item["label"],
            "help": item.get("help") or {},
            "required": bool(item.get("required")),
            "choices": list(item.get("choices") or []),
            "min_value": as_decimal(item.get("min")),
            "max_value": as_decimal(item.get("max")),
            "max_length": item.get("max_length"),
            "share_with_providers": bool(item.get("share_with_providers")),
            "order": order,
        }
        question = by_key.get(item["key"])
        if question is None:
            question = Question.objects.create(round=round_, key=item["key"], **values)
        else:
            for field, value in values.items():
                setattr(question, field, value)
            question.save(update_fields=list(values))
        saved.append(question)
    for handler in _questions_changed_handlers:
        handler(round_=round_, questions=saved, removed=removed, actor=actor)
    record(
        action="round.changed",
        object_type="round",
        object_id=round_.pk,
        actor=actor,
        data={
            "questions": [item["key"] for item in items],
            "questions_hash": content_hash(canonical_json(after)),
        },
    )


def set_round_questions(
    *, actor: AbstractBaseUser, round: Round, questions: Iterable[dict]
) -> Round:
    """Replace a round's questions (the admin's inline; the API goes through update_round)."""
    _ensure_coordinator(actor)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        _write_questions(round_=locked, questions=list(questions), actor=actor)
    return locked


def create_round(
    *,
    actor: AbstractBaseUser,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    review_deadline: datetime,
    reviews_per_application: int = 3,
    panel_rule: str = PanelRule.NONE,
    programme: Programme | None = None,
    criteria: Iterable[dict] = (),
    questions: Iterable[dict] = (),
) -> Round:
    """A new round with its rubric and questions; `programme` defaults to the plan's own."""
    _ensure_coordinator(actor)
    with transaction.atomic():
        if programme is None:
            programme = Programme.objects.get(name=DEFAULT_PROGRAMME_NAME)
        round_ = Round(
            programme=programme,
            name=(name or "").strip(),
            opens_at=opens_at,
            closes_at=closes_at,
            review_deadline=review_deadline,
            reviews_per_application=reviews_per_application,
            panel_rule=panel_rule,
        )
        _check_round(round_)
        try:
            with transaction.atomic():
                round_.save()
        except IntegrityError as error:
            raise ValidationError(
                {"name": [_("The programme already has a round of this name.")]}
            ) from error
        _write_criteria(round_=round_, criteria=list(criteria))
        record_round_change(
            actor=actor,
            round_=round_,
            created=True,
            fields=(*ROUND_FIELDS, "programme"),
        )
        _write_questions(round_=round_, questions=list(questions), actor=actor)
    return round_


def update_round(
    *,
    actor: AbstractBaseUser,
    round: Round,
    criteria: Iterable[dict] | None = None,
    questions: Iterable[dict] | None = None,
    **fields: object,
) -> Round:
    """Change a round's dates or settings, its rubric when `criteria` is given and its
    questions when `questions` is (refused once the round has a submission)."""
    _ensure_coordinator(actor)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        changed = []
        for field in (*ROUND_FIELDS, "programme"):
            if field in fields:
                setattr(locked, field, fields[field])
                changed.append(field)
        if "name" in fields:
            locked.name = (locked.name or "").strip()
        _check_round(locked)
        if changed:
            locked.save(update_fields=changed)
        if criteria is not None:
            _write_criteria(round_=locked, criteria=list(criteria))
        if changed or criteria is not None:
            record_round_change(
                actor=actor,
                round_=locked,
                created=False,
                fields=changed,
                rubric=criteria is not None,
            )
        if questions is not None:
            _write_questions(round_=locked, questions=list(questions), actor=actor)
    return locked


def new_account_errors(*, username: str, email: str, password: str) -> dict[str, list]:
    """What is wrong with the fields of a new login, by field; empty when it may be made."""
    user_model = get_user_model()
    errors: dict[str, list] = {}
    try:
        user_model.username_validator(username)
        if not username or len(username) > 150:
            raise ValidationError(_("Enter a user name of 1 to 150 characters."))
    except ValidationError as error:
        errors["username"] = error.messages
    if "username" not in errors and user_model.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This user name is taken.")]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    try:
        validate_password(password or "", user=user_model(username=username, email=email))
    except ValidationError as error:
        errors["password"] = error.messages
    return errors


# --- Accounts a coordinator manages (DESIGN.md §6) ----------------------------------------------

# What a coordinator may change on an account it manages. Superuser status, staff status, groups
# and permissions are not among them: only a superuser changes those, in Django's user admin.
ACCOUNT_FIELDS = ("first_name", "last_name", "email", "is_active")


def _ensure_may_manage(actor: AbstractBaseUser, account: AbstractBaseUser) -> None:
    if not can_manage_account(actor, account):
        raise PermissionDenied(_("Only a superuser may change this account."))


# The account's fields that let a person in (DESIGN.md §6: a coordinator manages a role's
# accounts, not the person's other ones).
ACCESS_FIELDS = ("email", "is_active")
ACCOUNT_HELD_ELSEWHERE = _(
    "This account also belongs to a start-up's team: only a superuser may change its password, "
    "e-mail address or whether it is active."
)


def _ensure_may_take_over(actor: AbstractBaseUser, account: AbstractBaseUser) -> None:
    _ensure_may_manage(actor, account)
    if not can_take_over_account(actor, account):
        raise PermissionDenied(ACCOUNT_HELD_ELSEWHERE)


def _account_errors(account: AbstractBaseUser, fields: dict) -> dict[str, list]:
    errors: dict[str, list] = {}
    for name in ("first_name", "last_name", "email"):
        if name not in fields:
            continue
        value = fields[name]
        if not isinstance(value, str) or "\x00" in value:
            errors[name] = [_("Enter text without control characters.")]
        elif len(value) > account._meta.get_field(name).max_length:
            errors[name] = [
                _("At most %(count)d characters.")
                % {"count": account._meta.get_field(name).max_length}
            ]
    if "email" in fields and "email" not in errors:
        try:
            validate_email(fields["email"])
        except ValidationError:
            errors["email"] = [_("Enter a valid e-mail address.")]
    if "is_active" in fields and not isinstance(fields["is_active"], bool):
        errors["is_active"] = [_("Say yes or no.")]
    return errors


def update_account(
    *, actor: AbstractBaseUser, account: AbstractBaseUser, **fields: object
) -> AbstractBaseUser:
    """Change any of first and last name, e-mail and active of an account `actor` manages."""
    unknown = sorted(set(fields) - set(ACCOUNT_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})
    _ensure_may_manage(actor, account)
    if any(fields[name] != getattr(account, name) for name in ACCESS_FIELDS if name in fields):
        _ensure_may_take_over(actor, account)
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=account.pk)
        errors = _account_errors(locked, fields)
        if errors:
            raise ValidationError(errors)
        for name, value in fields.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        if fields:
            locked.save(update_fields=list(fields))
    return locked


# --- Roles (DESIGN.md §13: user.role_changed) ----------------------------------------------------


def role_state(user: AbstractBaseUser) -> dict:
    """What makes a user's role: its groups (by name), staff and superuser status."""
    if user.pk is None:
        return {"groups": [], "is_staff": False, "is_superuser": False}
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "is_staff": bool(user.is_staff),
        "is_superuser": bool(user.is_superuser),
    }


def record_role_change(
    *, actor: AbstractBaseUser | None, user: AbstractBaseUser, before: dict | None
) -> bool:
    """Record `user.role_changed` when the user's role differs from `before` (None: a new
    account, recorded when it has any role); returns whether an event was written."""
    after = role_state(user)
    before = before or {"groups": [], "is_staff": False, "is_superuser": False}
    if after == before:
        return False
    record(
        actor=actor,
        action="user.role_changed",
        object_type="user",
        object_id=user.pk,
        data={"before": before, "after": after},
    )
    return True


def set_account_password(
    *, actor: AbstractBaseUser, account: AbstractBaseUser, password: str
) -> AbstractBaseUser:
    """Give an account `actor` manages a new password (checked by the site's validators)."""
    _ensure_may_take_over(actor, account)
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=account.pk)
        try:
            validate_password(password or "", user=locked)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        locked.set_password(password)
        locked.save(update_fields=["password"])
    return locked
