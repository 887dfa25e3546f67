"""A plain-Python reading of DESIGN.md section 5, the yardstick for the database's ranking."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ReviewRow:
    application: int
    reviewer: int
    # (weight, max_score, score) per criterion
    scores: tuple[tuple[float, int, int], ...]


def review_total(scores) -> float:
    return sum(w * s / m for w, m, s in scores) / sum(w for w, _, _ in scores) * 100


def pstdev(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def reference_ranking(applications: list[int], reviews: list[ReviewRow], method: str):
    totals = [(r, review_total(r.scores)) for r in reviews]
    by_reviewer: dict[int, list[float]] = {}
    for review, total in totals:
        by_reviewer.setdefault(review.reviewer, []).append(total)
    z_of = []
    for review, total in totals:
        own = by_reviewer[review.reviewer]
        sd = pstdev(own)
        z = (total - sum(own) / len(own)) / sd if len(own) >= 2 and sd > 1e-9 else 0.0
        z_of.append((review.application, total, z))
    rows = {}
    for app in applications:
        mine = [(t, z) for a, t, z in z_of if a == app]
        if mine:
            raw = sum(t for t, _ in mine) / len(mine)
            normalized = sum(z for _, z in mine) / len(mine)
            spread = pstdev([t for t, _ in mine])
        else:
            raw = normalized = spread = None
        rows[app] = {
            "raw_score": raw,
            "normalized_score": normalized,
            "spread": spread,
            "review_count": len(mine),
            "flagged": len(mine) >= 2 and spread >= 15,
        }
    primary, secondary = (
        ("raw_score", "normalized_score") if method == "raw" else ("normalized_score", "raw_score")
    )

    def key(app):
        row = rows[app]
        return (
            row[primary] is None,
            -(row[primary] or 0),
            row[secondary] is None,
            -(row[secondary] or 0),
            app,
        )

    order = sorted(applications, key=key)
    return order, rows, by_reviewer
