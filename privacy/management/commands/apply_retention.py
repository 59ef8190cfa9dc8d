"""Anonymise households whose retention period is over. Nothing changes without --wet-run."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from iml.models import Organisation
from privacy.retention import apply_retention


class Command(BaseCommand):
    help = "Anonymise les ménages sortis depuis plus que la durée de conservation."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organisation", help="identifiant court (toutes par défaut)")
        parser.add_argument(
            "--wet-run", action="store_true", help="anonymiser pour de bon (sinon : compter)"
        )

    def handle(self, *args, organisation=None, wet_run=False, **options) -> None:
        target = None
        if organisation:
            target = Organisation.objects.filter(slug=organisation).first()
            if target is None:
                raise CommandError(f"Organisation inconnue : {organisation}")
        for result in apply_retention(wet_run=wet_run, organisation=target):
            verb = "anonymisés" if wet_run else "à anonymiser (ajoutez --wet-run)"
            self.stdout.write(f"{result.organisation} : {result.households} ménage(s) {verb}")
