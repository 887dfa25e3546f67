"""`manage.py export_shortlist ID --format csv|xlsx --output PATH`: the export, from a shell."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviews.exports import export_filename, record_export, write_csv, write_xlsx
from reviews.models import Shortlist


class Command(BaseCommand):
    help = "Export a shortlist as CSV (UTF-8 with BOM) or XLSX, the same file as the admin and API."

    def add_arguments(self, parser):
        parser.add_argument("shortlist_id", type=int, help="the shortlist's id")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument(
            "--output",
            help="the file to write; a directory gets “<round> - <shortlist>.<format>”; "
            "'-' writes CSV to standard output (default: that name in the current directory)",
        )
        parser.add_argument(
            "--language", default="en", help="language of the header row (en, zh-hans, zh-hant)"
        )

    def handle(self, *args, shortlist_id, format, output, language, **options):
        shortlist = Shortlist.objects.select_related("round").filter(pk=shortlist_id).first()
        if shortlist is None:
            raise CommandError(f"There is no shortlist with id {shortlist_id}.")
        if format == "csv" or output != "-":
            # The system exported it (no user behind a shell): the audit event's actor is null.
            record_export(actor=None, export_format=format, shortlist=shortlist, via="command")
        if output == "-":
            if format != "csv":
                raise CommandError("Only CSV can be written to standard output.")
            write_csv(shortlist, sys.stdout.buffer, language=language)
            return
        path = Path(output) if output else Path.cwd()
        if path.is_dir():
            path = path / export_filename(shortlist, format)
        if not path.parent.is_dir():
            raise CommandError(f"The folder {path.parent} does not exist.")
        with path.open("wb") as file:
            if format == "csv":
                write_csv(shortlist, file, language=language)
            else:
                write_xlsx(shortlist, file, language=language)
        self.stdout.write(f"Wrote {shortlist.entries.count()} rows to {path}")
