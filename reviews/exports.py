"""The shortlist export (DESIGN.md section 9): one service, three doors (admin, API, command).

Rows are read with a server-side cursor (`iterator()`) and written as they come: the CSV is
yielded in chunks, the XLSX is written by XlsxWriter in constant-memory mode, so neither holds
the whole shortlist in memory.

Formula injection (OWASP "CSV Injection"): in the CSV every field is quoted, and typed text that
a spreadsheet would run as a formula gets an apostrophe before the dangerous character, at the
start of the cell and after every `;` or `,` inside it (a spreadsheet told to split on `;` would
otherwise start a new cell, and a formula, there). The database does this per row, so the export
stays close to `COPY`'s speed. The XLSX needs none of it: its text cells are stored as text,
never as formulas, so they hold exactly what was typed.
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
from django.db import connection
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Expression,
    F,
    Func,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Concat, Left, Replace
from django.db.models.lookups import Contains, Exact, In
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from applications.answers import round_questions
from applications.enums import ApplicationStatus
from audit.services import record
from incubator.display import round_score
from incubator.enums import QuestionKind, Region, ServiceKind, Stage, Track
from incubator.models import Question
from incubator.questions import localized

from .enums import RankingMethod
from .models import Shortlist, ShortlistEntry
from .shortlists import quotas_in_words

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
# OWASP's list: a cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters a spreadsheet may split a CSV line on besides the comma it was written with.
CELL_SEPARATORS = (";", ",")
ROWS_PER_CHUNK = 1000
ITERATOR_CHUNK_SIZE = 2000

# TEXT is what people typed (neutralised); LABEL is our own English labels (never a formula).
# NUMBER is an answer to a number question: a numeric cell in its general format.
TEXT, LABEL, INTEGER, DECIMAL, SCORE, NUMBER = (
    "text",
    "label",
    "integer",
    "decimal",
    "score",
    "number",
)


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
    Column(_("Calibrated score"), SCORE, 11),
    Column(_("Spread"), SCORE, 9),
    Column(_("Status"), LABEL, 13),
    Column(_("Contact e-mail"), TEXT, 30),
]


KINDS = [column.kind for column in COLUMNS]


def question_columns(questions: list[Question]) -> list[Column]:
    """One column per question of the round, after the fixed ones (DESIGN.md §11): the header is
    the question's label in the export's language."""
    return [
        Column(q.label, NUMBER if q.kind == QuestionKind.NUMBER else TEXT, 24) for q in questions
    ]


def headers(language: str | None = None, questions: list[Question] = ()) -> list[str]:
    language = language or "en"
    with translation.override(language):
        fixed = [str(column.header) for column in COLUMNS]
    return fixed + [localized(q.label, language) for q in questions]


# A formula character after a separator inside the text (one pass for every pair).
_FORMULA_INSIDE = re.compile(
    "(["
    + re.escape("".join(CELL_SEPARATORS))
    + "])(["
    + re.escape("".join(FORMULA_PREFIXES))
    + "])"
)


def neutralize_text(text: str) -> str:
    """The CSV's neutralising of typed text (the same as the database's `_neutralized`), for
    the answers, which are read from JSON: an apostrophe before a formula character that starts
    the cell or follows a `;` or `,`."""
    if not text:
        return text
    if ";" in text or "," in text:
        text = _FORMULA_INSIDE.sub(r"\1'\2", text)
    if text[0] in FORMULA_PREFIXES:
        text = "'" + text
    return text


def _answer_cell(question: Question, *, neutralize: bool, yes_no: dict):
    """A function from one stored answer to its cell: a number as a number, choices by their
    English labels (as the fixed columns' labels are), several joined with ", ", yes/no as
    "Yes"/"No", text as typed (neutralised for a CSV)."""
    kind = question.kind
    labels = {c["value"]: localized(c.get("label"), "en") for c in question.choices or []}
    finish = neutralize_text if neutralize else str
    if kind == QuestionKind.NUMBER:
        return _number_cell
    if kind == QuestionKind.BOOLEAN:
        return lambda value: yes_no.get(value)
    if kind == QuestionKind.CHOICE:
        return lambda value: None if value is None else finish(labels.get(value, str(value)))
    if kind == QuestionKind.MULTI_CHOICE:
        position = {value: index for index, value in enumerate(labels)}
        return lambda value: (
            None
            if not value
            else finish(
                ", ".join(
                    labels.get(v, str(v))
                    for v in sorted(value, key=lambda v: position.get(v, len(position)))
                )
            )
        )
    return lambda value: None if value is None else finish(str(value))


def _number_cell(value) -> int | Decimal | None:
    """A number answer as the database reads it: an integer stays one, a fraction becomes the
    Decimal of its shortest text (1e-05 is 0.00001), never a float's binary noise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if isinstance(value, int) else Decimal(repr(value))


def _answer_reader(questions: list[Question], *, neutralize: bool):
    """A function from a row's answers (JSON) to its cells, in the questions' order."""
    with translation.override("en"):
        yes_no = {True: str(_("Yes")), False: str(_("No"))}
    plan = [(q.key, _answer_cell(q, neutralize=neutralize, yes_no=yes_no)) for q in questions]

    def cells(answers: dict | None) -> tuple:
        if not answers:
            return (None,) * len(plan)
        get = answers.get
        return tuple([cell(get(key)) for key, cell in plan])

    return cells


def _with_answers(rows, questions: list[Question], *, neutralize: bool):
    """Rows whose last field is the answers (JSON), with that field turned into the cells."""
    cells = _answer_reader(questions, neutralize=neutralize)
    for row in rows:
        yield row[:-1] + cells(row[-1])


def _neutralized(field: str | Expression) -> Case:
    """Typed text (a field's name or a text expression) with an apostrophe before each formula
    character that starts a cell (OWASP): at the start, and after a `;` or `,` inside the text.
    In SQL (REPLACE and LIKE: any database), and only for the rare text that holds a separator
    at all."""
    value = F(field) if isinstance(field, str) else field
    inside = value
    for separator in CELL_SEPARATORS:
        for prefix in FORMULA_PREFIXES:
            inside = Replace(inside, Value(separator + prefix), Value(f"{separator}'{prefix}"))
    has_separator = Q()
    for separator in CELL_SEPARATORS:
        has_separator |= Q(Contains(value, separator))
    text = Case(When(has_separator, then=inside), default=value, output_field=CharField())
    # One test of the first character (not a LIKE per prefix: the text is read once).
    starts_like_formula = In(Left(value, 1), FORMULA_PREFIXES)
    return Case(
        When(starts_like_formula, then=Concat(Value("'"), text)),
        default=text,
        output_field=CharField(),
    )


class _JsonType(Func):
    """PostgreSQL's jsonb_typeof: 'string', 'number', 'boolean', 'array', 'object', 'null'."""

    function = "jsonb_typeof"
    output_field = CharField()


def _inside_sql(column: str) -> tuple[str, list]:
    """PostgreSQL text of `neutralize_text`'s inside rule for a column: an apostrophe before a
    formula character after each `;` or `,` (REPLACE only when the text holds a separator)."""
    inside, params = column, []
    for separator in CELL_SEPARATORS:
        for prefix in FORMULA_PREFIXES:
            inside = f"replace({inside}, %s, %s)"
            params = [*params, separator + prefix, f"{separator}'{prefix}"]
    test = " OR ".join(f"strpos({column}, %s) > 0" for _separator in CELL_SEPARATORS)
    sql = f"CASE WHEN {test} THEN {inside} ELSE {column} END"
    return sql, [*CELL_SEPARATORS, *params]


class _Labels(Expression):
    """Several choices (a JSON array of values) as their labels joined with ", ", in the
    question's choice order (values it does not know last, as stored); NULL when none. One
    correlated sub-select per row over jsonb_array_elements_text (PostgreSQL).

    Neutralised (`neutralize`) in the same sub-select, so it runs once a row: the labels are
    ours, neutralised inside in Python; a value the question no longer knows in SQL; then the
    joined text's start. The ", " between two labels can never start a formula (a space follows
    the comma), so this is `neutralize_text` of the whole joined text."""

    output_field = CharField()

    def __init__(self, array: Expression, labels: list[tuple[str, str]], *, neutralize: bool):
        super().__init__()
        self.array = array
        self.labels = labels
        self.neutralize = neutralize

    def get_source_expressions(self) -> list[Expression]:
        return [self.array]

    def set_source_expressions(self, expressions: list[Expression]) -> None:
        (self.array,) = expressions

    def as_sql(self, compiler, connection) -> tuple[str, list]:
        array_sql, array_params = compiler.compile(self.array)
        whens = " ".join("WHEN %s THEN %s" for _label in self.labels)
        label_params: list = []
        order_params: list = []
        for index, (value, label) in enumerate(self.labels):
            shown = _FORMULA_INSIDE.sub(r"\1'\2", label) if self.neutralize else label
            label_params += [value, shown]
            order_params += [value, index]
        other, other_params = _inside_sql("t.v") if self.neutralize else ("t.v", [])
        label = f"CASE t.v {whens} ELSE {other} END" if self.labels else other
        order = f"CASE t.v {whens} ELSE %s END" if self.labels else "%s"
        joined = (
            f"SELECT string_agg({label}, ', ' ORDER BY {order}, t.n) AS s "  # noqa: S608 (parameters)
            f"FROM jsonb_array_elements_text({array_sql}) WITH ORDINALITY AS t(v, n)"
        )
        params = [*label_params, *other_params, *order_params, len(self.labels), *array_params]
        if not self.neutralize:
            return f"({joined})", params
        starts = ", ".join("%s" for _prefix in FORMULA_PREFIXES)
        sql = (
            f"(SELECT CASE WHEN left(x.s, 1) IN ({starts}) THEN '''' || x.s ELSE x.s END "  # noqa: S608 (parameters)
            f"FROM ({joined}) AS x)"
        )
        return sql, [*FORMULA_PREFIXES, *params]


def _answer_sql(question: Question, answers: str, *, neutralize: bool, yes_no: dict) -> Expression:
    """One answer's cell computed by PostgreSQL from the JSON column `answers`: the same value
    `_answer_cell` makes in Python (a number as a number, choices by their English labels in
    the question's order, yes/no as "Yes"/"No", text as typed, neutralised for a CSV)."""
    kind = question.kind
    json = KeyTransform(question.key, answers)
    text = KeyTextTransform(question.key, answers)
    json_type = _JsonType(json)

    def finish(expression: Expression) -> Expression:
        return _neutralized(expression) if neutralize else expression

    if kind == QuestionKind.NUMBER:
        number = Func(text, template="(%(expressions)s)::numeric", output_field=DecimalField())
        return Case(
            When(Exact(json_type, "number"), then=number), default=None, output_field=DecimalField()
        )
    if kind == QuestionKind.BOOLEAN:
        return Case(
            *[
                When(Q(Exact(json_type, "boolean")) & Q(Exact(text, word)), then=Value(label))
                for word, label in (("true", yes_no[True]), ("false", yes_no[False]))
            ],
            default=None,
            output_field=CharField(),
        )
    labels = [(c["value"], localized(c.get("label"), "en")) for c in question.choices or []]
    if kind == QuestionKind.CHOICE:
        # Our labels neutralised here, once; only a value the question no longer knows in SQL.
        shown = neutralize_text if neutralize else str
        whens = [When(Exact(text, value), then=Value(shown(label))) for value, label in labels]
        return Case(*whens, default=finish(text), output_field=CharField())
    if kind == QuestionKind.MULTI_CHOICE:
        return Case(
            When(Exact(json_type, "array"), then=_Labels(json, labels, neutralize=neutralize)),
            default=None,
            output_field=CharField(),
        )
    return finish(text)


def answers_in_sql() -> bool:
    """Whether the database builds the answers' cells (PostgreSQL's JSON functions); on any
    other database (SQLite in development) Python builds the same cells row by row."""
    return connection.vendor == "postgresql"


def _answer_columns(
    questions: list[Question], answers: str, *, neutralize: bool
) -> dict[str, Expression]:
    """The answers' columns as annotations named q_0, q_1, ... in the questions' order."""
    with translation.override("en"):
        yes_no = {True: str(_("Yes")), False: str(_("No"))}
    return {
        f"q_{index}": _answer_sql(question, answers, neutralize=neutralize, yes_no=yes_no)
        for index, question in enumerate(questions)
    }


def _label(field: str, choices) -> Case:
    """SQL that turns a stored value into its English label (section 9)."""
    with translation.override("en"):
        whens = [When(**{field: value}, then=Value(str(label))) for value, label in choices]
    return Case(*whens, default=F(field), output_field=CharField())


def _needs_label(prefix: str = "application__") -> Case:
    """The needs as "Fund, Testing": one literal per combination of the three flags."""
    with translation.override("en"):
        names = [(kind, str(label)) for kind, label in ServiceKind.choices]
    whens = []
    for combination in itertools.product([True, False], repeat=len(names)):
        text = ", ".join(label for (_kind, label), on in zip(names, combination, strict=True) if on)
        flags = {
            f"{prefix}needs_{kind}": on
            for (kind, _label), on in zip(names, combination, strict=True)
        }
        whens.append(When(**flags, then=Value(text)))
    return Case(*whens, default=Value(""), output_field=CharField())


def _label_columns(prefix: str, *, neutralize: bool) -> dict[str, Case | F]:
    """The per-row work the database does (labels, needs, neutralising typed text for a CSV);
    `prefix` leads from the rows to the application ("application__" from an entry)."""

    def text(field: str):
        return _neutralized(prefix + field) if neutralize else F(prefix + field)

    return {
        "c_startup": text("startup__name"),
        "c_project": text("project_name"),
        "c_region": _label(f"{prefix}startup__region", Region.choices),
        "c_track": _label(f"{prefix}track", Track.choices),
        "c_stage": _label(f"{prefix}stage", Stage.choices),
        "c_needs": _needs_label(prefix),
        "c_status": _label(f"{prefix}status", ApplicationStatus.choices),
        "c_email": text("startup__contact_email"),
    }


def _values(prefix: str, application_id: str) -> list[str]:
    """The fields of a row in the columns' order."""
    return [
        "rank",
        application_id,
        "c_startup",
        "c_project",
        "c_region",
        "c_track",
        "c_stage",
        "c_needs",
        f"{prefix}funding_amount",
        f"{prefix}funding_currency",
        "review_count",
        "raw_score",
        "normalized_score",
        "calibrated_score",
        "spread",
        "c_status",
        "c_email",
    ]


def _answer_fields(
    questions: list[Question], prefix: str, *, neutralize: bool, in_sql: bool | None
) -> tuple[dict[str, Expression], list[str]]:
    """The annotations and the fields that add the answers' columns to a row: one column per
    question built by the database (`in_sql`, PostgreSQL's by default), or else the JSON
    column itself, turned into the cells by `_with_answers`."""
    if not questions:
        return {}, []
    if in_sql is None:
        in_sql = answers_in_sql()
    if in_sql:
        columns = _answer_columns(questions, f"{prefix}answers", neutralize=neutralize)
        return columns, list(columns)
    return {}, [f"{prefix}answers"]


def entry_rows(
    shortlist: Shortlist,
    *,
    neutralize: bool = True,
    questions: list[Question] | None = None,
    answers_in_sql: bool | None = None,
) -> Iterator[tuple[Any, ...]]:
    """One tuple per entry in rank order, in the columns' order, ready to write: the fixed
    columns, then one per question of the round (`questions`, the round's by default).

    The database builds every cell (the answers' too, on PostgreSQL: `answers_in_sql`); Python
    only hands rows on: numbers stay int and Decimal (None when missing).
    """
    if questions is None:
        questions = round_questions(shortlist.round)
    prefix = "application__"
    answers, answer_fields = _answer_fields(
        questions, prefix, neutralize=neutralize, in_sql=answers_in_sql
    )
    rows = (
        ShortlistEntry.objects.filter(shortlist=shortlist)
        .order_by("rank", "id")
        .annotate(**_label_columns(prefix, neutralize=neutralize), **answers)
        .values_list(*_values(prefix, "application_id"), *answer_fields)
        .iterator(chunk_size=ITERATOR_CHUNK_SIZE)
    )
    if questions and not answers:
        return _with_answers(rows, questions, neutralize=neutralize)
    return rows


def ranking_rows(
    ranking: QuerySet,
    *,
    neutralize: bool = True,
    questions: list[Question] = (),
    answers_in_sql: bool | None = None,
) -> Iterator[tuple[Any, ...]]:
    """The same columns for a round's ranking (reviews.selectors.round_ranking), in the order
    the queryset has: the ranking as the coordinator sees it."""
    questions = list(questions)
    answers, answer_fields = _answer_fields(
        questions, "", neutralize=neutralize, in_sql=answers_in_sql
    )
    # One plain fetch, not a server-side cursor: the ranking's window and CTE query is many
    # times slower under a "first rows" plan (reviews/shortlists.py).
    rows = iter(
        list(
            ranking.annotate(**_label_columns("", neutralize=neutralize), **answers).values_list(
                *_values("", "pk"), *answer_fields
            )
        )
    )
    if questions and not answers:
        return _with_answers(rows, questions, neutralize=neutralize)
    return rows


SCORE_INDEXES = tuple(index for index, kind in enumerate(KINDS) if kind == SCORE)


def _rounded(row: tuple[Any, ...]) -> list[Any]:
    """Scores with two decimals (incubator.display): 80.67, not 80.66666666666667. Only the
    score columns are touched (the answers' come after the fixed ones and stay as they are)."""
    cells = list(row)
    for index in SCORE_INDEXES:
        value = cells[index]
        if value is not None:
            cells[index] = round_score(value)
    return cells


class _Line:
    """A file-like object whose write() hands back what the csv writer wrote."""

    def write(self, text: str) -> str:
        return text


def iter_csv(shortlist: Shortlist, *, language: str | None = None) -> Iterator[bytes]:
    """The shortlist's CSV file in chunks of bytes (iter_csv_rows)."""
    questions = round_questions(shortlist.round)
    return iter_csv_rows(
        entry_rows(shortlist, questions=questions), language=language, questions=questions
    )


def iter_csv_rows(
    rows: Iterator[tuple[Any, ...]],
    *,
    language: str | None = None,
    questions: list[Question] = (),
) -> Iterator[bytes]:
    """The CSV file in chunks of bytes: a byte-order mark, the header row, one row per entry.

    Every field is quoted (a number too: spreadsheets still read it as a number); the csv module
    writes None as an empty field and a float as repr() (the shortest text that reads back as
    the same number); rows are written a chunk at a time.
    """
    line = csv.writer(_Line(), quoting=csv.QUOTE_ALL)
    yield (BOM + line.writerow(headers(language, questions))).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    while chunk := list(itertools.islice(rows, ROWS_PER_CHUNK)):
        writer.writerows(_rounded(row) for row in chunk)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


def write_csv(shortlist: Shortlist, output: IO[bytes], *, language: str | None = None) -> None:
    for chunk in iter_csv(shortlist, language=language):
        output.write(chunk)


def shortlist_settings(shortlist: Shortlist, language: str | None = None) -> list[list[str]]:
    """How the shortlist was made, label and value, for the XLSX's second sheet: method, size,
    minimum score, quotas and unmet quotas, in `language`."""
    with translation.override(language or "en"):
        if not shortlist.quotas:
            unmet = "–"
        else:
            unmet = quotas_in_words(shortlist.unmet_quotas) or str(_("All met"))
        return [
            [str(_("Setting")), str(_("Value"))],
            [str(_("Ranking method")), str(RankingMethod(shortlist.method).label)],
            [str(_("Size")), "–" if shortlist.size is None else str(shortlist.size)],
            [
                str(_("Minimum score")),
                "–" if shortlist.min_score is None else str(round_score(shortlist.min_score)),
            ],
            [str(_("Quotas")), quotas_in_words(shortlist.quotas) or "–"],
            [str(_("Unmet quotas")), unmet],
        ]


def write_xlsx(
    shortlist: Shortlist, output: str | IO[bytes], *, language: str | None = None
) -> None:
    """Write the shortlist's XLSX to a path or a seekable binary file (write_xlsx_rows), with
    a second sheet, "Settings", saying how it was made."""
    with translation.override(language or "en"):
        settings_name = str(_("Settings"))
    questions = round_questions(shortlist.round)
    write_xlsx_rows(
        entry_rows(shortlist, neutralize=False, questions=questions),
        output,
        questions=questions,
        title=f"{shortlist.round.name} — {shortlist.name}",
        subject="Shortlist",
        sheet_name=shortlist.name,
        created=shortlist.created_at,
        language=language,
        settings=(settings_name, shortlist_settings(shortlist, language)),
    )


def write_xlsx_rows(
    rows: Iterator[tuple[Any, ...]],
    output: str | IO[bytes],
    *,
    title: str,
    subject: str,
    sheet_name: str,
    created,
    language: str | None = None,
    questions: list[Question] = (),
    settings: tuple[str, list[list[str]]] | None = None,
) -> None:
    """Write the XLSX row by row (constant memory); `settings`, a sheet name and its rows of
    text, becomes a second sheet."""
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
    workbook.set_properties(
        {
            "title": title,
            "subject": subject,
            "created": timezone.localtime(created).replace(tzinfo=None),
        }
    )
    bold = workbook.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats = {
        TEXT: None,
        LABEL: None,
        INTEGER: workbook.add_format({"num_format": "0"}),
        DECIMAL: workbook.add_format({"num_format": "#,##0.00"}),
        SCORE: workbook.add_format({"num_format": "0.00"}),
        NUMBER: None,
    }
    columns = COLUMNS + question_columns(list(questions))
    sheet = workbook.add_worksheet(_sheet_name(sheet_name))
    for index, column in enumerate(columns):
        sheet.set_column(index, index, column.width, formats[column.kind])
    sheet.freeze_panes(1, 0)
    for index, header in enumerate(headers(language, questions)):
        sheet.write_string(0, index, header, bold)
    kinds = [column.kind for column in columns]
    row_number = 0
    # Text as typed: a string cell is never run as a formula (strings_to_formulas is off).
    for row_number, row in enumerate(rows, start=1):
        for index, value in enumerate(_rounded(row)):
            if value is None or value == "":
                continue
            if kinds[index] in (TEXT, LABEL):
                sheet.write_string(row_number, index, value)
            else:
                number = float(value) if isinstance(value, Decimal) else value
                sheet.write_number(row_number, index, number, formats[kinds[index]])
    sheet.autofilter(0, 0, max(row_number, 1), len(columns) - 1)
    if settings is not None:
        name, lines = settings
        name = _sheet_name(name)
        if name.casefold() == sheet.get_name().casefold():  # a shortlist called "Settings"
            name = _sheet_name(f"{name} 2")
        second = workbook.add_worksheet(name)
        second.set_column(0, 0, 22)
        second.set_column(1, 1, 40)
        for line_number, line in enumerate(lines):
            for index, text in enumerate(line):
                second.write_string(line_number, index, text, bold if line_number == 0 else None)
    workbook.close()


SHEET_NAME_LIMIT = 31  # UTF-16 code units: a character beyond U+FFFF counts twice


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 UTF-16 units, none of []:*?/\\ or control characters, not
    starting or ending with an apostrophe (checked after shortening), not "History"."""
    cleaned = " ".join(re.sub(r"[\[\]:*?/\\\x00-\x1f\x7f-\x9f]", " ", name).split())
    kept, units = [], 0
    for character in cleaned:
        units += 2 if ord(character) > 0xFFFF else 1
        if units > SHEET_NAME_LIMIT:
            break
        kept.append(character)
    shortened = "".join(kept).strip("' ")
    if not shortened or shortened.casefold() == "history":
        return "Shortlist"
    return shortened


def record_export(
    *,
    actor: Any,
    export_format: str,
    shortlist: Shortlist | None = None,
    round_id: int | None = None,
    via: str = "",
) -> None:
    """`export.made` in the audit trail (DESIGN.md §13): who exported what, in which format.
    Written before the first byte goes out, so a download is never unrecorded."""
    if shortlist is not None:
        round_id = shortlist.round_id
    record(
        actor=actor,
        action="export.made",
        object_type="export",
        object_id=f"shortlist-{shortlist.pk}" if shortlist is not None else f"ranking-{round_id}",
        data={
            "what": "shortlist" if shortlist is not None else "ranking",
            "shortlist": shortlist.pk if shortlist is not None else None,
            "round": round_id,
            "format": export_format,
            "via": via,
        },
    )


def export_response(
    shortlist: Shortlist,
    export_format: str,
    *,
    language: str | None = None,
    actor: Any = None,
    via: str = "",
) -> HttpResponseBase:
    """The download: CSV streamed as it is produced, XLSX from a temporary file (not memory)."""
    if export_format in {"csv", "xlsx"}:
        record_export(actor=actor, export_format=export_format, shortlist=shortlist, via=via)
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
    return _safe_filename(f"{shortlist.round.name} - {shortlist.name}", extension=extension)


def _safe_filename(name: str, *, extension: str) -> str:
    text = unicodedata.normalize("NFC", name)
    text = re.sub(r'[\x00-\x1f\x7f<>:"/\\|?*]+', "-", text)
    text = re.sub(r"\s+", " ", text).strip(" .-") or "shortlist"
    return f"{text[:150]}.{extension}"


def ranking_export_response(
    ranking: QuerySet,
    export_format: str,
    *,
    round_name: str,
    language: str | None = None,
    actor: Any = None,
    round_id: int | None = None,
    via: str = "",
    questions: list[Question] = (),
) -> HttpResponseBase:
    """The ranking as shown (filters and order applied by the caller), as CSV or XLSX, with one
    column per question of the round (`questions`)."""
    if export_format in {"csv", "xlsx"}:
        record_export(actor=actor, export_format=export_format, round_id=round_id, via=via)
    filename = _safe_filename(f"{round_name} - ranking", extension=export_format)
    if export_format == "csv":
        response = StreamingHttpResponse(
            iter_csv_rows(
                ranking_rows(ranking, questions=questions),
                language=language,
                questions=questions,
            ),
            content_type=CSV_CONTENT_TYPE,
        )
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=filename
        )
        return response
    if export_format == "xlsx":
        file = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
        write_xlsx_rows(
            ranking_rows(ranking, neutralize=False, questions=questions),
            file,
            questions=questions,
            title=f"{round_name} — ranking",
            subject="Ranking",
            sheet_name="Ranking",
            created=timezone.now(),
            language=language,
        )
        file.seek(0)
        return FileResponse(
            file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
        )
    raise ValueError(f"Unknown export format {export_format!r}: use csv or xlsx.")
