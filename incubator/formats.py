"""How numbers and people are shown to coordinators: one rule for every page, e-mail and export.

Scores and spreads are shown with two decimals, rounded half up (2.495 → 2.50, whatever its
binary neighbour), so the ranking, the dashboard, the shortlist, the e-mails and the exports
agree; the API keeps full precision. A person is shown by full name, or by user name without one.
"""

from decimal import ROUND_HALF_UP, Decimal

SCORE_PLACES = 2
_QUANTUM = Decimal(1).scaleb(-SCORE_PLACES)
NO_VALUE = "–"


def round_score(value: float | Decimal | None) -> float | None:
    """A score rounded to two decimals, half up, as a number (None stays None)."""
    if value is None:
        return None
    # repr() is the shortest text that reads back as the same float: 2.495, not 2.49499….
    return float(Decimal(repr(float(value))).quantize(_QUANTUM, rounding=ROUND_HALF_UP))


def score_text(value: float | Decimal | None) -> str:
    """A score for reading: "80.67"; a dash when there is none."""
    rounded = round_score(value)
    return NO_VALUE if rounded is None else f"{rounded:.{SCORE_PLACES}f}"


def person_name(user) -> str:
    """The full name, falling back to the user name."""
    if user is None:
        return NO_VALUE
    return user.get_full_name().strip() or user.get_username()
