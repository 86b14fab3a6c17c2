from django.core.management.base import BaseCommand

from roadmap.demo import DemoBuilder


class Command(BaseCommand):
    help = "Load the demo portfolio 'acme' with its people, OKRs, roadmap and history (idempotent)."

    def handle(self, *args, **options):
        DemoBuilder(stdout=self.stdout).build()
