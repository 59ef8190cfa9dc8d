"""Create a funder (platform staff only): a DDETS, a DREETS or the national level."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from iml.models import Institution, InstitutionKind


class Command(BaseCommand):
    help = "Crée un financeur : DDETS (--departements 80), DREETS (--region 32) ou national."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--kind", required=True, choices=InstitutionKind.values)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--departements", default="", help="DDETS : codes séparés par ,")
        parser.add_argument("--region", default="", help="DREETS : code INSEE de la région")

    def handle(self, *args, **options) -> None:
        institution = Institution(
            kind=options["kind"],
            slug=options["slug"],
            name=options["name"],
            departements=[c.strip() for c in options["departements"].split(",") if c.strip()],
            region=options["region"].strip(),
        )
        try:
            institution.full_clean()
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        institution.save()
        self.stdout.write(
            self.style.SUCCESS(
                f"Financeur « {institution.name} » créé ({institution.territory_label})."
            )
        )
