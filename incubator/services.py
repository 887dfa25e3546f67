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

from audit import services as audit

from .enums import PanelRule
from .exceptions import WorkflowError
from .models import DEFAULT_PROGRAMME_NAME, Criterion, Programme, Round, level_problems
from .permissions import can_manage_account, is_coordinator
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


def _ensure_coordinator(actor: AbstractBaseUser) -> None:
    if not is_coordinator(actor):
        raise PermissionDenied(_("Only coordinators may do this."))


def _check_round(round_: Round) -> None:
    errors: dict[str, list[str]] = text_errors({"name": round_.name})
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
) -> Round:
    """A new round with its rubric; `programme` defaults to the plan's own."""
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
    return round_


def update_round(
    *,
    actor: AbstractBaseUser,
    round: Round,
    criteria: Iterable[dict] | None = None,
    **fields: object,
) -> Round:
    """Change a round's dates or settings, and its rubric when `criteria` is given."""
    _ensure_coordinator(actor)
    with transaction.atomic():
        locked = Round.objects.select_for_update().get(pk=round.pk)
        panel_rule_before = locked.panel_rule
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
        if locked.panel_rule != panel_rule_before:
            audit.record(
                actor=actor,
                action="round.changed",
                object_type="round",
                object_id=locked.pk,
                data={"panel_rule": {"from": panel_rule_before, "to": locked.panel_rule}},
            )
        if criteria is not None:
            _write_criteria(round_=locked, criteria=list(criteria))
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


def set_account_password(
    *, actor: AbstractBaseUser, account: AbstractBaseUser, password: str
) -> AbstractBaseUser:
    """Give an account `actor` manages a new password (checked by the site's validators)."""
    _ensure_may_manage(actor, account)
    with transaction.atomic():
        locked = get_user_model().objects.select_for_update().get(pk=account.pk)
        try:
            validate_password(password or "", user=locked)
        except ValidationError as error:
            raise ValidationError({"password": error.messages}) from error
        locked.set_password(password)
        locked.save(update_fields=["password"])
    return locked
