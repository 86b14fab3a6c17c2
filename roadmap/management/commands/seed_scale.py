import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from roadmap.scale import SIZES, ScaleBuilder


class Command(BaseCommand):
    help = "Generate a large portfolio for benchmarks (bulk inserts, then one recompute)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--slug", help="Portfolio slug (default: scale-<size>).")

    def handle(self, *args, size, slug, **options):
        started = time.monotonic()
        try:
            portfolio = ScaleBuilder(size, slug=slug, stream=self.stderr).build()
        except ValueError as error:
            raise CommandError(str(error)) from error
        # Fresh statistics for the query planner: bulk-loaded tables have none until
        # autovacuum gets round to them, and plans built on guesses mislead a benchmark.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"Built portfolio {portfolio.slug!r} ({size}) in {time.monotonic() - started:.1f}s. "
            f"Users share the password 'lodestar-scale'."
        )
