"""Onboard an operator: create the organisation and invite its first administrator."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from iml.models import Organisation, Role
from iml.rls import organisation_transaction
from iml.services import member_invite


class Command(BaseCommand):
    help = "Crée une organisation et invite son premier administrateur (e-mail)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--slug", required=True, help="identifiant court, ex. le-pont")
        parser.add_argument("--name", required=True)
        parser.add_argument("--departement", required=True)
        parser.add_argument("--siret", default="")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-first-name", default="")
        parser.add_argument("--admin-last-name", default="")

    def handle(self, *args, **options) -> None:
        try:
            with transaction.atomic():
                organisation = Organisation(
                    slug=options["slug"],
                    name=options["name"],
                    departement=options["departement"],
                    siret=options["siret"],
                )
                organisation.full_clean()
                organisation.save()
                with organisation_transaction(organisation):
                    member_invite(
                        organisation=organisation,
                        email=options["admin_email"],
                        first_name=options["admin_first_name"],
                        last_name=options["admin_last_name"],
                        role=Role.ADMIN,
                        invited_by=None,
                    )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Organisation « {organisation.name} » créée ; invitation envoyée à "
                f"{options['admin_email']}."
            )
        )
