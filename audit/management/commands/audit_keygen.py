"""`manage.py audit_keygen`: a new Ed25519 key for signing the audit trail's checkpoints."""

from django.core.management.base import BaseCommand

from audit.checkpoints import new_signing_key


class Command(BaseCommand):
    help = (
        "Print a new AUDIT_SIGNING_KEY (base64 of 32 raw Ed25519 private bytes) as one line "
        "to put in the environment. Keep it secret; the public key is served by the API."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"AUDIT_SIGNING_KEY={new_signing_key()}")
