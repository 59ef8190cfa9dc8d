"""factory-boy factories of the support app (rows written directly, outside the services)."""

from __future__ import annotations

import datetime

import factory

from iml.codes import InteractionType, SupportDomain
from support.models import (
    Interaction,
    Partner,
    PartnerKind,
    Referral,
    SupportContract,
    SupportObjective,
    Workshop,
)
from tests.factories import OrganisationOwnedFactory, UserFactory
from tests.households.factories import HouseholdFactory
from tests.housing.factories import SAME_ORGANISATION


class PartnerFactory(OrganisationOwnedFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partenaire {n}")
    kind = PartnerKind.CAF


class SupportContractFactory(OrganisationOwnedFactory):
    class Meta:
        model = SupportContract

    household = factory.SubFactory(HouseholdFactory, organisation=SAME_ORGANISATION, present=True)
    signed_on = datetime.date(2025, 3, 15)
    initial_end_date = datetime.date(2025, 9, 15)
    referent = factory.SubFactory(UserFactory)


class SupportObjectiveFactory(OrganisationOwnedFactory):
    class Meta:
        model = SupportObjective

    contract = factory.SubFactory(SupportContractFactory, organisation=SAME_ORGANISATION)
    domain = SupportDomain.ADMINISTRATIF
    text = "Ouvrir les droits CAF"
    start_date = factory.SelfAttribute("contract.signed_on")


class InteractionFactory(OrganisationOwnedFactory):
    """Without persons or staff: add them with ``.persons.add(p, through_defaults=...)`` or use
    ``support.services.interaction_log``."""

    class Meta:
        model = Interaction

    household = factory.SubFactory(HouseholdFactory, organisation=SAME_ORGANISATION, present=True)
    date = datetime.date(2025, 4, 2)
    kind = InteractionType.VISITE_DOMICILE
    duration_minutes = 60
    domains = factory.LazyFunction(lambda: [SupportDomain.LOGEMENT])
    notes = "Logement bien entretenu."


class WorkshopFactory(OrganisationOwnedFactory):
    class Meta:
        model = Workshop

    date = datetime.date(2025, 5, 6)
    title = "Comprendre sa facture d’énergie"
    theme = SupportDomain.BUDGET


class ReferralFactory(OrganisationOwnedFactory):
    class Meta:
        model = Referral

    household = factory.SubFactory(HouseholdFactory, organisation=SAME_ORGANISATION, present=True)
    partner = factory.SubFactory(PartnerFactory, organisation=SAME_ORGANISATION)
    date = datetime.date(2025, 4, 10)
    reason = "Ouverture des droits à la complémentaire santé"
    domain = SupportDomain.SANTE
