"""`manage.py import_consent --application ID --share-with fund,training --reason "..."`: record
a consent the start-up gave outside this system (DESIGN.md §12), with the documented reason.

Applications that existed before consent was asked for share with no one; a coordinator who holds
the start-up's written consent records it here. The change is a ConsentChange like any other
(time, the current text version, the reason; no actor: the system) with its audit event."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from applications.consent import import_consent
from applications.models import Application
from incubator.exceptions import WorkflowError


class Command(BaseCommand):
    help = "Record a consent to share with providers that the start-up gave outside the system."

    def add_arguments(self, parser):
        parser.add_argument("--application", type=int, required=True, help="the application's id")
        parser.add_argument(
            "--share-with",
            required=True,
            help="comma-separated provider kinds (fund, training, testing); '' for none",
        )
        parser.add_argument(
            "--reason",
            required=True,
            help="the documented reason (where the start-up's consent is kept)",
        )

    def handle(self, *args, application, share_with, reason, **options):
        found = Application.objects.filter(pk=application).first()
        if found is None:
            raise CommandError(f"There is no application with id {application}.")
        kinds = [kind.strip() for kind in share_with.split(",") if kind.strip()]
        try:
            change = import_consent(application=found, share_with=kinds, reason=reason)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        except WorkflowError as error:
            raise CommandError(str(error)) from error
        if change is None:
            self.stdout.write(f"Application {found.pk} already shares with: {kinds or 'no one'}.")
        else:
            self.stdout.write(
                f"Application {found.pk} now shares with: {change.share_with_after or 'no one'} "
                f"(text version {change.text_version})."
            )
