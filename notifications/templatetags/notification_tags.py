"""Filters for the e-mail templates: payloads hold API values, e-mails show labels."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.dateparse import parse_datetime

from incubator import display
from incubator.enums import Currency, Region, ServiceKind, Stage, Track

register = template.Library()

CHOICES = {
    "region": Region,
    "track": Track,
    "stage": Stage,
    "kind": ServiceKind,
    "currency": Currency,
}


@register.filter
def label(value: object, vocabulary: str) -> str:
    """`{{ startup.region|label:"region" }}` → "Hong Kong" (translated); lists are joined."""
    choices = CHOICES[vocabulary]
    if isinstance(value, list | tuple):
        return ", ".join(label(item, vocabulary) for item in value)
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


@register.filter
def amount(value: str | None) -> str:
    """ "1200000.00" → "1,200,000.00"; the payload keeps the exact decimal as a string."""
    if value in (None, ""):
        return "–"
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError):
        return str(value)


@register.filter
def score(value: float | None) -> str:
    """Two decimals, half up: the rule of every page and export (incubator.display)."""
    return display.score_text(value)


@register.filter
def as_datetime(value: str | None) -> datetime | str:
    """An ISO 8601 string of a payload as a moment: `{{ a.due_at|as_datetime|date:"Y-m-d H:i" }}`
    (shown in the site's time zone, like every date of a template)."""
    try:
        return parse_datetime(value) or ""
    except (TypeError, ValueError):
        return ""
