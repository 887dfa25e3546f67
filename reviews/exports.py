"""The shortlist export (DESIGN.md section 9): one service, three doors (admin, API, command).

Rows are read with a server-side cursor (`iterator()`) and written as they come: the CSV is
yielded in chunks, the XLSX is written by XlsxWriter in constant-memory mode, so neither holds
the whole shortlist in memory.
"""

import csv
import io
import itertools
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Concat
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from applications.enums import ApplicationStatus
from incubator.enums import Region, ServiceKind, Stage, Track

from .models import Shortlist, ShortlistEntry

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
# OWASP's list: a cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_CHUNK = 1000
ITERATOR_CHUNK_SIZE = 2000

# TEXT is what people typed (neutralised); LABEL is our own English labels (never a formula).
TEXT, LABEL, INTEGER, DECIMAL, SCORE = "text", "label", "integer", "decimal", "score"


@dataclass(frozen=True)
class Column:
    header: Any  # a lazy translation: English, or the admin's language
    kind: str
    width: int


COLUMNS = [
    Column(_("Rank"), INTEGER, 6),
    Column(_("Application ID"), INTEGER, 14),
    Column(_("Startup"), TEXT, 28),
    Column(_("Project"), TEXT, 28),
    Column(_("Region"), LABEL, 16),
    Column(_("Track"), LABEL, 16),
    Column(_("Stage"), LABEL, 11),
    Column(_("Needs"), LABEL, 22),
    Column(_("Funding amount"), DECIMAL, 16),
    Column(_("Funding currency"), LABEL, 10),
    Column(_("Reviews"), INTEGER, 9),
    Column(_("Raw score"), SCORE, 11),
    Column(_("Normalised score"), SCORE, 11),
    Column(_("Spread"), SCORE, 9),
    Column(_("Status"), LABEL, 13),
    Column(_("Contact e-mail"), TEXT, 30),
]


def headers(language: str | None = None) -> list[str]:
    with translation.override(language or "en"):
        return [str(column.header) for column in COLUMNS]


def _neutralized(field: str) -> Case:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP), in SQL."""
    starts_like_formula = Q()
    for prefix in FORMULA_PREFIXES:
        starts_like_formula |= Q(**{f"{field}__startswith": prefix})
    return Case(
        When(starts_like_formula, then=Concat(Value("'"), F(field))),
        default=F(field),
        output_field=CharField(),
    )


def _label(field: str, choices) -> Case:
    """SQL that turns a stored value into its English label (section 9)."""
    with translation.override("en"):
        whens = [When(**{field: value}, then=Value(str(label))) for value, label in choices]
    return Case(*whens, default=F(field), output_field=CharField())


def _needs_label() -> Case:
    """The needs as "Fund, Testing": one literal per combination of the three flags."""
    with translation.override("en"):
        names = [(kind, str(label)) for kind, label in ServiceKind.choices]
    whens = []
    for combination in itertools.product([True, False], repeat=len(names)):
        text = ", ".join(label for (_kind, label), on in zip(names, combination, strict=True) if on)
        flags = {
            f"application__needs_{kind}": on
            for (kind, _label), on in zip(names, combination, strict=True)
        }
        whens.append(When(**flags, then=Value(text)))
    return Case(*whens, default=Value(""), output_field=CharField())


def entry_rows(shortlist: Shortlist) -> Iterator[tuple[Any, ...]]:
    """One tuple per entry in rank order, in the columns' order, ready to write.

    The database does the per-row work (labels, needs, neutralising typed text), so Python only
    hands rows on: numbers stay int, Decimal and float (None when missing).
    """
    columns = {
        "c_startup": _neutralized("application__startup__name"),
        "c_project": _neutralized("application__project_name"),
        "c_region": _label("application__startup__region", Region.choices),
        "c_track": _label("application__track", Track.choices),
        "c_stage": _label("application__stage", Stage.choices),
        "c_needs": _needs_label(),
        "c_status": _label("application__status", ApplicationStatus.choices),
        "c_email": _neutralized("application__startup__contact_email"),
    }
    return (
        ShortlistEntry.objects.filter(shortlist=shortlist)
        .order_by("rank", "id")
        .annotate(**columns)
        .values_list(
            "rank",
            "application_id",
            "c_startup",
            "c_project",
            "c_region",
            "c_track",
            "c_stage",
            "c_needs",
            "application__funding_amount",
            "application__funding_currency",
            "review_count",
            "raw_score",
            "normalized_score",
            "spread",
            "c_status",
            "c_email",
        )
        .iterator(chunk_size=ITERATOR_CHUNK_SIZE)
    )


class _Line:
    """A file-like object whose write() hands back what the csv writer wrote."""

    def write(self, text: str) -> str:
        return text


def iter_csv(shortlist: Shortlist, *, language: str | None = None) -> Iterator[bytes]:
    """The CSV file in chunks of bytes: a byte-order mark, the header row, one row per entry.

    The csv module writes None as an empty cell and a float as repr() (the shortest text that
    reads back as the same number); rows are written a chunk at a time.
    """
    line = csv.writer(_Line())
    yield (BOM + line.writerow(headers(language))).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = entry_rows(shortlist)
    while chunk := list(itertools.islice(rows, ROWS_PER_CHUNK)):
        writer.writerows(chunk)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def write_csv(shortlist: Shortlist, output: IO[bytes], *, language: str | None = None) -> None:
    for chunk in iter_csv(shortlist, language=language):
        output.write(chunk)


def write_xlsx(
    shortlist: Shortlist, output: str | IO[bytes], *, language: str | None = None
) -> None:
    """Write the XLSX to a path or a seekable binary file, row by row (constant memory)."""
    workbook = xlsxwriter.Workbook(
        output,
        {
            "constant_memory": True,
            # Never turn text into live formulas, links or numbers: text stays text.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "remove_timezone": True,
        },
    )
    round_name = shortlist.round.name
    workbook.set_properties(
        {
            "title": f"{round_name} — {shortlist.name}",
            "subject": "Shortlist",
            "created": timezone.localtime(shortlist.created_at).replace(tzinfo=None),
        }
    )
    bold = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats = {
        TEXT: None,
        LABEL: None,
        INTEGER: workbook.add_format({"num_format": "0"}),
        DECIMAL: workbook.add_format({"num_format": "#,##0.00"}),
        SCORE: workbook.add_format({"num_format": "0.00"}),
    }
    sheet = workbook.add_worksheet(_sheet_name(shortlist.name))
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column.width, formats[column.kind])
    sheet.freeze_panes(1, 0)
    for index, header in enumerate(headers(language)):
        sheet.write_string(0, index, header, bold)
    kinds = [column.kind for column in COLUMNS]
    row_number = 0
    for row_number, row in enumerate(entry_rows(shortlist), start=1):
        for index, value in enumerate(row):
            if value is None or value == "":
                continue
            if kinds[index] in (TEXT, LABEL):  # already neutralised by the query
                sheet.write_string(row_number, index, value)
            else:
                number = float(value) if isinstance(value, Decimal) else value
                sheet.write_number(row_number, index, number, formats[kinds[index]])
    sheet.autofilter(0, 0, max(row_number, 1), len(COLUMNS) - 1)
    workbook.close()


def _sheet_name(name: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\ and not starting or ending with '.
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", name).strip("' ") or "Shortlist"
    return cleaned[:31]


def export_response(
    shortlist: Shortlist, export_format: str, *, language: str | None = None
) -> HttpResponseBase:
    """The download: CSV streamed as it is produced, XLSX from a temporary file (not memory)."""
    filename = export_filename(shortlist, export_format)
    if export_format == "csv":
        response = StreamingHttpResponse(
            iter_csv(shortlist, language=language), content_type=CSV_CONTENT_TYPE
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=filename
        )
        return response
    if export_format == "xlsx":
        file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
        write_xlsx(shortlist, file, language=language)
        file.seek(0)
        return FileResponse(
            file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
        )
    raise ValueError(f"Unknown export format {export_format!r}: use csv or xlsx.")


def export_filename(shortlist: Shortlist, extension: str) -> str:
    """“<round> - <shortlist>.<ext>”, safe on every file system; non-ASCII letters are kept."""
    text = unicodedata.normalize("NFC", f"{shortlist.round.name} - {shortlist.name}")
    text = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]+', "-", text)
    text = re.sub(r"\s+", " ", text).strip(" .-") or "shortlist"
    return f"{text[:150]}.{extension}"
