"""`manage.py anonymise --round ID --before DATE`: personal data of decided applications past
retention replaced with placeholders, their files deleted (DESIGN.md §13)."""

from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from applications.governance import anonymise_applications
from incubator.models import Round


class Command(BaseCommand):
    help = (
        "Anonymise the accepted, rejected and withdrawn applications of a round whose last "
        "status change is before DATE: names, addresses, texts and files go; the audit trail, "
        "which holds only HMACs of them, still verifies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, required=True, help="the round's id")
        parser.add_argument(
            "--before",
            required=True,
            help="a date (YYYY-MM-DD, midnight in the site's time zone) or an ISO date-time",
        )

    def handle(self, *args, round, before, **options):
        round_ = Round.objects.filter(pk=round).first()
        if round_ is None:
            raise CommandError(f"There is no round with id {round}.")
        try:
            moment = datetime.fromisoformat(before)
        except ValueError as error:
            raise CommandError(
                f"--before {before!r} is not a date (YYYY-MM-DD) or an ISO date-time."
            ) from error
        if len(before) <= 10:
            moment = datetime.combine(moment.date(), time.min)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        if moment > timezone.now():
            raise CommandError("--before is in the future: retention cannot end later than now.")
        result = anonymise_applications(round_=round_, before=moment)
        self.stdout.write(
            f"Anonymised {len(result.applications)} applications, {len(result.startups)} "
            f"start-ups and {len(result.users)} accounts; deleted {result.files} files."
        )
