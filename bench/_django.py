"""Start Django for a benchmark script run as `python -m bench.<name>` from the project root."""

import os
import sys


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incubator.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(
            "The benchmarks run on PostgreSQL: set DATABASE_URL, e.g. "
            "postgres://postgres@127.0.0.1:5432/incubator_bench_reviews"
        )
    import django

    django.setup()
    import logging

    logging.getLogger("incubator").setLevel(logging.WARNING)
