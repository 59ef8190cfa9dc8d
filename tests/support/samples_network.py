"""Organisation A's partner, referral and workshop for the isolation sweep
(tests/test_isolation_sweep.py), each carrying the sweep's marker: a partner, a referral of a
present household of its own still waiting for its outcome (closable, for the hostile-input
sweep), and a workshop that person of the household took part in."""

from __future__ import annotations

import datetime
from typing import Any

from iml.codes import SupportDomain
from iml.models import Role
from iml.rls import organisation_transaction
from support.agenda import feed_token
from support.models import CalendarFeed, WorkshopFacilitator, WorkshopParticipant
from tests.factories import MembershipFactory
from tests.households.factories import HouseholdFactory, PersonFactory
from tests.support.factories import (
    InteractionFactory,
    PartnerFactory,
    ReferralFactory,
    WorkshopFactory,
)


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    household = HouseholdFactory(
        organisation=organisation,
        dispositif=base["_dispositif"],
        reference="MENAGE-IML-ALPHA-NW",
        present=True,
    )
    person = PersonFactory(
        organisation=organisation, household=household, first_name="Zoé", last_name="Alpha"
    )
    partner = PartnerFactory(
        organisation=organisation,
        name="CCAS IML-ALPHA",
        contact_name="Contact IML-ALPHA",
        email="ccas@alpha.example",
    )
    referral = ReferralFactory(
        organisation=organisation,
        household=household,
        partner=partner,
        date=datetime.date(2025, 4, 10),
        domain=SupportDomain.ADMINISTRATIF,
        reason="Domiciliation IML-ALPHA",
    )
    workshop = WorkshopFactory(
        organisation=organisation,
        title="Atelier IML-ALPHA",
        date=datetime.date(2025, 5, 6),
        description="Contenu IML-ALPHA",
    )
    facilitator = MembershipFactory(
        organisation=organisation,
        role=Role.SOCIAL_WORKER,
        user__email="animatrice@alpha.example",
    ).user
    with organisation_transaction(organisation):
        WorkshopFacilitator.objects.create(
            organisation=organisation, workshop=workshop, user=facilitator
        )
        WorkshopParticipant.objects.create(
            organisation=organisation, workshop=workshop, person=person
        )
    interaction = InteractionFactory(
        organisation=organisation, household=household, notes="Visite IML-ALPHA"
    )
    with organisation_transaction(organisation):
        feed = CalendarFeed.objects.create(organisation=organisation, user=facilitator)
    return {
        "partner": partner.public_id,
        "referral": referral.public_id,
        "workshop": workshop.public_id,
        "interaction": interaction.public_id,
        "token": feed_token(feed),
    }
