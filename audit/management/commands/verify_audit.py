"""`manage.py verify_audit [--checkpoint FILE [--public-key KEY]]`: recompute the chain.

Exit status 0 when every event verifies (and the checkpoint, when given, holds); 1 otherwise,
with the first bad seq on standard error.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.checkpoints import SigningKeyMissing, verify_checkpoint
from audit.verification import CHUNK_SIZE, verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain, and optionally a signed checkpoint against it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoint",
            help="a JSON file holding one checkpoint {seq, hash, at, signature} (as the API, "
            "the webhook's data or a witness gives it) to prove against the chain",
        )
        parser.add_argument(
            "--public-key",
            help="the base64 Ed25519 public key to check the checkpoint's signature with "
            "(default: the site's own, from AUDIT_SIGNING_KEY)",
        )
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE)

    def handle(self, *args, checkpoint, public_key, chunk_size, **options):
        result = verify_chain(chunk_size=chunk_size)
        if not result.ok:
            self.stderr.write(
                f"BROKEN at seq {result.first_bad_seq}: {result.reason} "
                f"({result.length} events read)"
            )
            raise SystemExit(1)
        self.stdout.write(f"OK: {result.length} events, head {result.head}")
        if checkpoint is None:
            return
        try:
            document = json.loads(Path(checkpoint).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read the checkpoint {checkpoint}: {error}") from error
        if isinstance(document, dict) and isinstance(document.get("data"), dict):
            document = document["data"]  # a webhook body as received
        if not isinstance(document, dict):
            raise CommandError("The checkpoint file must hold one JSON object.")
        try:
            check = verify_checkpoint(document, public_key=public_key)
        except SigningKeyMissing as error:
            raise CommandError(f"{error} Pass --public-key.") from error
        if not check.ok:
            where = f" at seq {check.first_bad_seq}" if check.first_bad_seq else ""
            self.stderr.write(f"CHECKPOINT FAILS{where}: {check.reason}")
            raise SystemExit(1)
        self.stdout.write(f"CHECKPOINT OK: {check.reason}")
