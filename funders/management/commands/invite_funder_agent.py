"""Give a person of a DDETS, a DREETS or the national level access to the funder's pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from funders.services import agent_invite
from iml.models import Institution


class Command(BaseCommand):
    help = "Invite l’agent d’un financeur (DDETS, DREETS, national) : e-mail d’activation."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--institution", required=True, help="identifiant court du financeur")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args, **options) -> None:
        institution = Institution.objects.filter(
            slug=options["institution"], is_active=True
        ).first()
        if institution is None:
            raise CommandError(f"Financeur inconnu ou inactif : {options['institution']}.")
        try:
            agent_invite(
                institution=institution,
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Accès ouvert pour {institution.name} ; e-mail envoyé.")
        )
