"""Small server-rendered SVG charts for the coordinator dashboard (no script, no CDN).

Each function takes plain numbers and labels and returns safe SVG markup; every text is escaped
by format_html. Sizes are in a viewBox, so the charts scale with the page; colours come from
CSS classes in reviews/static/reviews/dashboard.css, so they follow the admin's light and dark
themes.
"""

from collections.abc import Sequence

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from incubator.display import score_text

WIDTH = 560
LABEL_WIDTH = 180
LABEL_CHARS = 24  # longer labels are shortened on the chart; the tooltip has them whole
VALUE_WIDTH = 56
ROW_HEIGHT = 26
BAR_HEIGHT = 16


def _svg(height: int, body: SafeString, title: str, *, width: int = WIDTH) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}</svg>',
        width,
        height,
        title,
        title,
        body,
    )


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _scale(value: float, largest: float, span: float) -> float:
    return 0.0 if largest <= 0 else round(span * value / largest, 1)


def _value_text(value: float) -> str:
    """A count as it is; a measure (a spread, a score) by the one rounding rule: 16.50, 15.50."""
    return str(value) if isinstance(value, int) else score_text(value)


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def bar_chart(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    css_class: str = "bar",
    total: int | None = None,
) -> SafeString:
    """Horizontal bars, label on the left, count (and share of `total`) on the right."""
    if not rows:
        return _empty(title)
    largest = max(value for _label, value in rows)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 8
    parts = []
    for index, (label, value) in enumerate(rows):
        y = index * ROW_HEIGHT + 4
        width = _scale(value, largest, span)
        share = f" · {_percent(value, total)}" if total else ""
        parts.append(
            format_html(
                '<g class="row"><text class="label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="track" x="{}" y="{}" width="{}" height="{}" rx="3"/>'
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}" rx="3">'
                "<title>{}: {}</title></rect>"
                '<text class="value" x="{}" y="{}">{}{}</text></g>',
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT - 4,
                _short(label),
                LABEL_WIDTH,
                y,
                span,
                BAR_HEIGHT,
                css_class,
                LABEL_WIDTH,
                y,
                max(width, 2 if value else 0),
                BAR_HEIGHT,
                label,
                _value_text(value),
                LABEL_WIDTH + span + 6,
                y + BAR_HEIGHT - 4,
                _value_text(value),
                share,
            )
        )
    return _svg(len(rows) * ROW_HEIGHT + 4, mark_safe("".join(parts)), title)  # noqa: S308 (built with format_html)


def funnel_chart(rows: Sequence[tuple[str, str, int]], *, title: str) -> SafeString:
    """Centred bars narrowing with the count, one per status (key, label, count)."""
    if not rows:
        return _empty(title)
    largest = max(value for _key, _label, value in rows) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 8
    centre = LABEL_WIDTH + span / 2
    parts = []
    for index, (key, label, value) in enumerate(rows):
        y = index * (ROW_HEIGHT + 2) + 4
        width = max(_scale(value, largest, span), 3 if value else 1)
        parts.append(
            format_html(
                '<g class="row"><text class="label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="funnel status-{}" x="{}" y="{}" width="{}" height="{}" rx="3">'
                "<title>{}: {}</title></rect>"
                '<text class="value" x="{}" y="{}">{}</text></g>',
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT - 2,
                label,
                key,
                round(centre - width / 2, 1),
                y,
                width,
                BAR_HEIGHT + 4,
                label,
                value,
                LABEL_WIDTH + span + 6,
                y + BAR_HEIGHT - 2,
                value,
            )
        )
    return _svg(len(rows) * (ROW_HEIGHT + 2) + 6, mark_safe("".join(parts)), title)  # noqa: S308 (built with format_html)


def progress_chart(rows: Sequence[tuple[str, int, int]], *, title: str) -> SafeString:
    """Per reviewer: the assigned bar, the submitted part filled, "submitted / assigned"."""
    if not rows:
        return _empty(title)
    largest = max(assigned for _name, assigned, _done in rows)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 24
    parts = []
    for index, (name, assigned, submitted) in enumerate(rows):
        y = index * ROW_HEIGHT + 4
        parts.append(
            format_html(
                '<g class="row"><text class="label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="assigned" x="{}" y="{}" width="{}" height="{}" rx="3"/>'
                '<rect class="submitted{}" x="{}" y="{}" width="{}" height="{}" rx="3">'
                "<title>{}: {} / {}</title></rect>"
                '<text class="value" x="{}" y="{}">{} / {}</text></g>',
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT - 4,
                _short(name),
                LABEL_WIDTH,
                y,
                _scale(assigned, largest, span),
                BAR_HEIGHT,
                " complete" if submitted == assigned else "",
                LABEL_WIDTH,
                y,
                _scale(submitted, largest, span),
                BAR_HEIGHT,
                name,
                submitted,
                assigned,
                LABEL_WIDTH + span + 6,
                y + BAR_HEIGHT - 4,
                submitted,
                assigned,
            )
        )
    return _svg(len(rows) * ROW_HEIGHT + 4, mark_safe("".join(parts)), title)  # noqa: S308 (built with format_html)


def column_chart(rows: Sequence[tuple[str, int]], *, title: str) -> SafeString:
    """Vertical columns with the band under each and the count above (a histogram)."""
    if not rows or not any(value for _label, value in rows):
        return _empty(title)
    height, top, bottom, left = 220, 18, 28, 8
    largest = max(value for _label, value in rows)
    step = (WIDTH - 2 * left) / len(rows)
    plot = height - top - bottom
    columns = format_html_join(
        "",
        '<g class="row"><rect class="column" x="{}" y="{}" width="{}" height="{}" rx="2">'
        "<title>{}: {}</title></rect>"
        '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>'
        '<text class="label" x="{}" y="{}" text-anchor="middle">{}</text></g>',
        (
            (
                round(left + index * step + 3, 1),
                round(top + plot - _scale(value, largest, plot), 1),
                round(step - 6, 1),
                _scale(value, largest, plot),
                label,
                value,
                round(left + (index + 0.5) * step, 1),
                round(top + plot - _scale(value, largest, plot) - 4, 1),
                value if value else "",
                round(left + (index + 0.5) * step, 1),
                height - 10,
                label,
            )
            for index, (label, value) in enumerate(rows)
        ),
    )
    axis = format_html(
        '<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
        left,
        top + plot,
        WIDTH - left,
        top + plot,
    )
    return _svg(height, axis + columns, title)


def _empty(title: str) -> SafeString:
    return format_html(
        '<p class="chart-empty" aria-label="{}">{}</p>', title, gettext("Nothing to show yet.")
    )
