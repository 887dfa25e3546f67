"""Benchmark of the shortlist export (DESIGN.md section 9), on PostgreSQL.

    .venv/bin/python -m bench.export --applications 50000 --repeat 7 \
        --database-url postgres://postgres@127.0.0.1:5432/incubator_bench_shortlists

What it measures, in one run on the same data:

- CSV time: the export service (`reviews.exports.iter_csv`, the generator the API and admin
  stream) over a 50,000-entry shortlist, against PostgreSQL's own
  `COPY (the same rows, same columns, labels, neutralised text and BOM-less CSV) TO STDOUT
  WITH (FORMAT csv, FORCE_QUOTE *)` read by psycopg2 (its physical limit: the server formats
  every row itself). Target: ≤ 3×.
- Memory: each export runs in a fresh child process at 5,000 and at 50,000 rows; the child
  reports its peak RSS growth during the export (`ru_maxrss` after minus VmRSS just before)
  and the tracemalloc peak of Python allocations. Target: the larger ≤ 1.3× the smaller.
- XLSX: time and the same two memory figures at both sizes.
- `--questions N` (issue 14) gives the round N questions of every kind (text, number, choice,
  several choices, yes/no, long text, URL, date, ...) answered by every application; the
  export then writes one column per question, and the COPY query reads the same answers from
  the JSON column with the same labels and neutralising, so the ratio stays like for like.

The round is generated once (bench/generator.py) and reused by later runs; `--fresh` drops it.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incubator.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DJANGO_DEBUG", "0")  # DEBUG would keep every query in memory
os.environ.setdefault("DJANGO_HTTPS", "0")

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/incubator_bench_shortlists"
ROUND_NAME = "Bench export: {n} applications"
SMALL = 5_000


class NullSink:
    """A binary file that counts what it is given and keeps nothing."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data) -> int:
        self.size += len(data)
        return len(data)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    """Create the benchmark database if missing and migrate it."""
    import psycopg2

    name = database_url.rsplit("/", 1)[1]
    server = database_url.rsplit("/", 1)[0] + "/postgres"
    connection = psycopg2.connect(server)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


QUESTION_KINDS = ["text", "number", "choice", "multi_choice", "boolean", "long_text", "url", "date"]
BENCH_CHOICES = [
    {"value": "ethereum", "label": {"en": "Ethereum"}},
    {"value": "fisco-bcos", "label": {"en": "FISCO BCOS"}},
    {"value": "other", "label": {"en": "Other, or several"}},
]


def ask_questions(round_, count: int) -> None:
    """Give the round `count` questions (kinds in turn) and every application an answer to
    each, written in one UPDATE. Directly, not through the service: the round has submissions,
    so its questions are frozen for everyone else."""
    from django.db import connection

    from incubator.models import Question

    answered = round_.applications.exclude(answers={}).exists()
    if round_.questions.count() == count and (answered or not count):
        return
    round_.questions.all().delete()
    answers = []
    for index in range(count):
        kind = QUESTION_KINDS[index % len(QUESTION_KINDS)]
        key = f"q{index}"
        Question.objects.create(
            round=round_,
            key=key,
            kind=kind,
            label={"en": f"Question {index} ({kind})"},
            choices=BENCH_CHOICES if kind in ("choice", "multi_choice") else [],
            order=index,
        )
        value = {
            "text": "CASE WHEN id % 10 = 0 THEN '=HYPERLINK(1)' ELSE 'Partner, ' || id END",
            "number": "(id % 5000)::numeric / 4",
            "choice": "(ARRAY['ethereum', 'fisco-bcos', 'other'])[id % 3 + 1]",
            "multi_choice": "CASE WHEN id % 2 = 0 THEN jsonb_build_array('ethereum', 'other') "
            "ELSE jsonb_build_array('fisco-bcos') END",
            "boolean": "id % 2 = 0",
            "long_text": "repeat('A pilot with a port operator; ', 4) || id",
            "url": "'https://startup' || id || '.example/'",
            "date": "'2027-01-' || lpad((id % 28 + 1)::text, 2, '0')",
        }[kind]
        answers += [f"'{key}'", value]
    with connection.cursor() as cursor:
        # No parameters: the expressions' own % signs are SQL's modulo.
        cursor.execute(
            "UPDATE applications_application "
            f"SET answers = jsonb_build_object({', '.join(answers)}) "
            f"WHERE round_id = {int(round_.pk)}"
        )
    print(f"{count} questions asked and answered")


def prepare(applications: int, fresh: bool, questions: int = 0):
    """The benchmark round with two shortlists (5,000 and all), made through the services."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from bench.generator import generate
    from incubator.models import Round
    from incubator.permissions import COORDINATORS_GROUP
    from reviews.models import Shortlist
    from reviews.shortlists import create_shortlist

    call_command("migrate", verbosity=0)
    name = ROUND_NAME.format(n=applications)
    if fresh:
        for round_ in Round.objects.filter(name=name):
            Shortlist.objects.filter(round=round_).delete()
            round_.applications.all().delete()
            round_.delete()
    round_ = Round.objects.filter(name=name).first()
    if round_ is None:
        started = time.perf_counter()
        round_ = generate(
            applications=applications, reviewers=max(50, applications // 100), name=name
        ).round
        print(f"generated {applications} applications in {time.perf_counter() - started:.0f} s")
    ask_questions(round_, questions)
    coordinator, _ = get_user_model().objects.get_or_create(username="bench-coordinator")
    coordinator.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    shortlists = {}
    for size in (SMALL, applications):
        shortlist = Shortlist.objects.filter(round=round_, name=f"Top {size}").first()
        if shortlist is None:
            started = time.perf_counter()
            shortlist = create_shortlist(
                round=round_, name=f"Top {size}", actor=coordinator, size=size
            )
            print(f"shortlist of {size} made in {time.perf_counter() - started:.1f} s")
        shortlists[size] = shortlist
    return shortlists


def _case(column: str, choices) -> str:
    whens = " ".join(f"WHEN '{value}' THEN '{label}'" for value, label in choices)
    return f"CASE {column} {whens} ELSE {column} END"


def copy_query(shortlist_id: int) -> str:
    """The export's rows as one SQL query: the same columns, English labels, neutralised text,
    rank order."""
    from django.utils import translation

    from applications.enums import ApplicationStatus
    from incubator.enums import Region, Stage, Track

    with translation.override("en"):
        region = _case("s.region", [(v, str(label)) for v, label in Region.choices])
        track = _case("a.track", [(v, str(label)) for v, label in Track.choices])
        stage = _case("a.stage", [(v, str(label)) for v, label in Stage.choices])
        status = _case("a.status", [(v, str(label)) for v, label in ApplicationStatus.choices])

    def neutralized(column: str) -> str:
        # As reviews.exports does it: an apostrophe before a formula character at the start
        # and after every ";" or "," inside (REPLACE only for text holding a separator).
        prefixes = ["=", "+", "-", "@", "chr(9)", "chr(13)"]
        inside = column
        for separator in (";", ","):
            for prefix in prefixes:
                literal = prefix if prefix.startswith("chr") else f"'{prefix}'"
                inside = (
                    f"replace({inside}, '{separator}' || {literal}, '{separator}''' || {literal})"
                )
        text = (
            f"CASE WHEN {column} LIKE '%;%' OR {column} LIKE '%,%' THEN {inside} ELSE {column} END"
        )
        return (
            f"CASE WHEN left({column}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
            f"THEN '''' || {text} ELSE {text} END"
        )

    answers = "".join(", " + _answer_sql(q, neutralized) for q in _questions(shortlist_id))
    needs = (
        "concat_ws(', ', CASE WHEN a.needs_fund THEN 'Fund' END, "
        "CASE WHEN a.needs_training THEN 'Training' END, "
        "CASE WHEN a.needs_testing THEN 'Testing' END)"
    )
    return (
        f"SELECT e.rank, e.application_id, {neutralized('s.name')}, "
        f"{neutralized('a.project_name')}, {region}, {track}, {stage}, "
        f"{needs}, a.funding_amount, a.funding_currency, e.review_count, e.raw_score, "
        "e.normalized_score, e.calibrated_score, "
        f"e.spread, {status}, {neutralized('s.contact_email')}{answers} "
        "FROM reviews_shortlistentry e "
        "JOIN applications_application a ON a.id = e.application_id "
        "JOIN applications_startup s ON s.id = a.startup_id "
        f"WHERE e.shortlist_id = {int(shortlist_id)} ORDER BY e.rank, e.id"
    )


def _questions(shortlist_id: int) -> list:
    from reviews.models import Shortlist

    return list(Shortlist.objects.get(pk=shortlist_id).round.questions.order_by("order", "id"))


def _answer_sql(question, neutralized) -> str:
    """One answer's cell as the export writes it, from the JSON column."""
    text = f"(a.answers->>'{question.key}')"
    labels = [(c["value"], c["label"]["en"]) for c in question.choices]
    if question.kind == "number":
        return text
    if question.kind == "boolean":
        return f"CASE {text} WHEN 'true' THEN 'Yes' WHEN 'false' THEN 'No' END"
    if question.kind == "choice":
        return _case(text, labels)
    if question.kind == "multi_choice":
        return (
            f"(SELECT string_agg({_case('v', labels)}, ', ' ORDER BY n) "
            f"FROM jsonb_array_elements_text(a.answers->'{question.key}') "
            "WITH ORDINALITY AS t(v, n))"
        )
    if question.kind == "date":
        return text
    return neutralized(text)


def time_copy(shortlist_id: int) -> tuple[float, int]:
    from django.db import connection

    sink = NullSink()
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.cursor.copy_expert(
            f"COPY ({copy_query(shortlist_id)}) TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)", sink
        )
        return time.perf_counter() - started, sink.size


def run_export(export_format: str, shortlist_id: int, *, trace: bool) -> dict:
    """Export once; with `trace`, under tracemalloc (slower: used for memory only)."""
    import tempfile

    from reviews.exports import write_xlsx
    from reviews.models import Shortlist

    shortlist = Shortlist.objects.select_related("round").get(pk=shortlist_id)
    # Reset the kernel's peak-RSS mark (VmHWM) to the current RSS, so the peak read afterwards
    # is the export's own, not the start-up's.
    Path("/proc/self/clear_refs").write_text("5")
    rss_before = _status_kib("VmRSS")
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if export_format == "csv":
        from reviews.exports import iter_csv

        size = sum(len(chunk) for chunk in iter_csv(shortlist))
    else:
        with tempfile.TemporaryFile() as file:
            write_xlsx(shortlist, file)
            size = file.tell()
    elapsed = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    peak_kib = _status_kib("VmHWM")
    return {
        "seconds": elapsed,
        "bytes": size,
        "rss_growth_kib": peak_kib - rss_before,
        "tracemalloc_peak_kib": None if traced_peak is None else traced_peak // 1024,
    }


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def in_child(export_format: str, shortlist_id: int, trace: bool, database_url: str) -> dict:
    """A fresh process per measurement, so one export's peak does not hide another's."""
    command = [
        sys.executable,
        "-m",
        "bench.export",
        "--child",
        export_format,
        str(shortlist_id),
        "--database-url",
        database_url,
    ]
    if trace:
        command.append("--trace")
    output = subprocess.run(  # noqa: S603 (our own script, fixed arguments)
        command, check=True, capture_output=True, text=True, cwd=Path(__file__).parents[1]
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=50_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--fresh", action="store_true", help="regenerate the benchmark round")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best is kept)")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "SHORTLIST"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--questions", type=int, default=0, help="questions of the round, answered by all"
    )
    arguments = parser.parse_args()

    if arguments.child:
        setup_django(arguments.database_url)
        export_format, shortlist_id = arguments.child[0], int(arguments.child[1])
        print(json.dumps(run_export(export_format, shortlist_id, trace=arguments.trace)))
        return

    ensure_database(arguments.database_url)
    setup_django(arguments.database_url)
    shortlists = prepare(arguments.applications, arguments.fresh, arguments.questions)
    small, large = shortlists[SMALL], shortlists[arguments.applications]
    rows = large.entries.count()
    url = arguments.database_url
    print(
        f"\nShortlist export, {rows} rows, {arguments.questions} questions "
        f"(PostgreSQL, best of {arguments.repeat})"
    )

    # COPY and the export alternate in this process (both on a warm connection), so a burst of
    # load on the shared machine hits both; best of each, and the median of the paired ratios.
    from reviews.exports import iter_csv

    copy_times, csv_times = [], []
    for _ in range(arguments.repeat):
        copy_times.append(time_copy(large.pk)[0])
        started = time.perf_counter()
        for _chunk in iter_csv(large):
            pass
        csv_times.append(time.perf_counter() - started)
    copy_seconds, csv_seconds = min(copy_times), min(csv_times)
    paired = sorted(c / p for c, p in zip(csv_times, copy_times, strict=True))
    print(f"  COPY … TO STDOUT (csv)      {copy_seconds:7.3f} s")
    print(
        f"  CSV export (iter_csv)       {csv_seconds:7.3f} s   "
        f"ratio {csv_seconds / copy_seconds:.2f}× best to best, "
        f"{paired[len(paired) // 2]:.2f}× median of pairs (target ≤ 3×)"
    )
    xlsx_seconds = {
        size: min(
            in_child("xlsx", shortlist.pk, False, url)["seconds"] for _ in range(arguments.repeat)
        )
        for size, shortlist in ((SMALL, small), (rows, large))
    }
    print(
        f"  XLSX export                 {xlsx_seconds[rows]:7.3f} s at {rows} rows, "
        f"{xlsx_seconds[SMALL]:.3f} s at {SMALL}"
    )

    print("\nPeak memory of the export (fresh process each; KiB)")
    print("  format  rows     RSS growth   tracemalloc peak")
    ratios = {}
    for export_format in ("csv", "xlsx"):
        measured = {}
        for size, shortlist in ((SMALL, small), (rows, large)):
            rss = in_child(export_format, shortlist.pk, False, url)["rss_growth_kib"]
            traced = in_child(export_format, shortlist.pk, True, url)["tracemalloc_peak_kib"]
            measured[size] = (rss, traced)
            print(f"  {export_format:6}  {size:6}   {rss:10}   {traced:16}")
        ratios[export_format] = (
            measured[rows][0] / max(measured[SMALL][0], 1),
            measured[rows][1] / max(measured[SMALL][1], 1),
        )
    for export_format, (rss_ratio, traced_ratio) in ratios.items():
        print(
            f"  {export_format}: {rows} vs {SMALL} rows — RSS growth {rss_ratio:.2f}×, "
            f"tracemalloc peak {traced_ratio:.2f}× (target ≤ 1.3×)"
        )


if __name__ == "__main__":
    main()
