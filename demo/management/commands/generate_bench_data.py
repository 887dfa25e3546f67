"""`manage.py generate_bench_data`: a benchmark round of any size (bench/generator.py)."""

import time

from django.core.management.base import BaseCommand

from bench.generator import generate


class Command(BaseCommand):
    help = "Generate a round of realistic benchmark data (applications, reviewers, reviews)."

    def add_arguments(self, parser):
        parser.add_argument("--applications", type=int, default=1000)
        parser.add_argument("--reviewers", type=int, default=50)
        parser.add_argument("--criteria", type=int, default=6)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reviews-per-application", type=int, default=3)
        parser.add_argument(
            "--no-reviews",
            action="store_true",
            help="Only submitted applications, for the assignment benchmark.",
        )
        parser.add_argument("--submitted-fraction", type=float, default=1.0)
        parser.add_argument("--name", default=None, help="Round name (default from the seed).")

    def handle(self, *args, **options):
        started = time.perf_counter()
        result = generate(
            applications=options["applications"],
            reviewers=options["reviewers"],
            criteria=options["criteria"],
            seed=options["seed"],
            reviews_per_application=options["reviews_per_application"],
            with_reviews=not options["no_reviews"],
            submitted_fraction=options["submitted_fraction"],
            name=options["name"],
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Round {result.round.pk} “{result.round.name}”: "
                f"{options['applications']} applications, {options['reviewers']} reviewers, "
                f"{options['criteria']} criteria in {time.perf_counter() - started:.1f} s."
            )
        )
