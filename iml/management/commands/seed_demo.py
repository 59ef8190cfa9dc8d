"""Demo data modelled on the two real reports of shared/seeds (000 and 001).

Deterministic and idempotent: running it again updates the same rows and creates nothing more.
Later issues add their data (households, housing, contracts…) here.
"""

from __future__ import annotations

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from iml import dataversion
from iml.demo import (
    DEMO_PASSWORD,
    DEMO_SECOND_FACTOR,
    DEMO_SECOND_FACTOR_ROLES,
    FUNDERS,
    ORGANISATIONS,
    PEOPLE,
)
from iml.models import Dispositif, FunderAgent, Institution, Membership, Organisation, User
from iml.scoping import organisation_context

DEMO_SECOND_FACTOR_STOCK = 50

# Modules with ``seed(*, organisation, demo, dispositif, users)``, run in this order.
SEEDERS = [
    "housing.demo", "households.demo", "tenancy.demo_stays", "tenancy.demo", "support.demo",
    "papers.demo", "rehousing.demo", "banking.demo", "alerts.demo", "funders.demo",
]  # fmt: skip


class Command(BaseCommand):
    help = "Crée ou met à jour les données de démonstration (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        institutions = self._funders()
        for demo in ORGANISATIONS:
            organisation, _ = Organisation.objects.update_or_create(
                slug=demo.slug, defaults={"name": demo.name, "departement": demo.departement}
            )
            with organisation_context(organisation):
                Dispositif.objects.update_or_create(
                    organisation=organisation,
                    code=demo.dispositif["code"],
                    defaults={**demo.dispositif, "ddets": institutions[demo.ddets]},
                )
                dispositif = Dispositif.objects.get(code=demo.dispositif["code"])
                users = {}
                for role, prefix, first_name, last_name, _ in PEOPLE:
                    user = self._user(f"{prefix}@{demo.domain}", first_name, last_name)
                    Membership.objects.update_or_create(
                        organisation=organisation,
                        user=user,
                        defaults={"role": role, "is_active": True},
                    )
                    users[role] = user
                    if role in DEMO_SECOND_FACTOR_ROLES:
                        self._demo_second_factor(user)
                # Each app seeds its own data, in dependency order, idempotently.
                for module in SEEDERS:
                    importlib.import_module(module).seed(
                        organisation=organisation, demo=demo, dispositif=dispositif, users=users
                    )
        # Written outside requests and tasks: cached aggregates are stale (and may even come
        # from an earlier database of the same name).
        dataversion.forget_all()
        self.stdout.write(self.style.SUCCESS("Données de démonstration à jour."))

    def _funders(self) -> dict[str, Institution]:
        """The demo's DDETS, DREETS and national level, each with an agent (the platform's
        staff create them in real life: Django admin or ``create_institution``)."""
        institutions = {}
        for funder in FUNDERS:
            institution = Institution.objects.filter(slug=funder.slug).first() or Institution(
                slug=funder.slug
            )
            institution.kind, institution.name = funder.kind, funder.name
            institution.departements, institution.region = list(funder.departements), funder.region
            institution.full_clean(validate_unique=False)
            institution.save()
            institutions[funder.slug] = institution
            user = self._user(funder.agent, "Agent", funder.name)
            FunderAgent.objects.update_or_create(
                user=user, defaults={"institution": institution, "is_active": True}
            )
            self._demo_second_factor(user)
        return institutions

    def _demo_second_factor(self, user: User) -> None:
        """A stock of the documented demo recovery code (single use each, topped up)."""
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="Démonstration", defaults={"confirmed": True}
        )
        missing = DEMO_SECOND_FACTOR_STOCK - device.token_set.count()
        StaticToken.objects.bulk_create(
            [StaticToken(device=device, token=DEMO_SECOND_FACTOR) for _ in range(missing)]
        )

    def _user(self, email: str, first_name: str, last_name: str) -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first_name, "last_name": last_name}
        )
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user
