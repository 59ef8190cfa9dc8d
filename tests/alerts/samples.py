"""Alerts for the tests: a factory, and organisation A's alert and invitation for the isolation
sweep (tests/test_isolation_sweep.py)."""

from __future__ import annotations

import datetime
from typing import Any

import factory

from alerts.models import Alert, AlertKind, AlertLevel, AlertStatus
from iml.models import Role
from tests.factories import OrganisationOwnedFactory
from tests.households.factories import HouseholdFactory


class AlertFactory(OrganisationOwnedFactory):
    """An open alert "no contact" for the household's referents (nobody in particular)."""

    class Meta:
        model = Alert

    household = factory.SubFactory(
        HouseholdFactory, organisation=factory.SelfAttribute("..organisation"), present=True
    )
    kind = AlertKind.NO_CONTACT
    subject_id = factory.Sequence(lambda n: 100_000 + n)
    milestone = factory.Sequence(lambda n: f"m{n}")
    level = AlertLevel.WARNING
    due_date = datetime.date(2025, 6, 25)
    assignee = None
    assignee_role = Role.SOCIAL_WORKER
    status = AlertStatus.OPEN

    class Params:
        overdue = factory.Trait(level=AlertLevel.OVERDUE)
        due = factory.Trait(level=AlertLevel.DUE)
        debt = factory.Trait(kind=AlertKind.DEBT, milestone="dette", assignee_role=Role.REGISSEUR)
        seen = factory.Trait(status=AlertStatus.SEEN)
        resolved = factory.Trait(status=AlertStatus.RESOLVED)


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    household = HouseholdFactory(
        organisation=organisation,
        dispositif=base["_dispositif"],
        reference="MENAGE-IML-ALPHA-AL",
        present=True,
    )
    alert = AlertFactory(organisation=organisation, household=household, overdue=True)
    return {"alert": alert.public_id, **invitation_samples(organisation)}


def invitation_samples(organisation) -> dict[str, Any]:
    """A pending invitation of A (team page: resend, cancel) and its e-mailed link (the invited
    person's page), for the isolation sweep."""
    from iml.models import Invitation
    from iml.rls import organisation_transaction
    from iml.services import invitation_token

    with organisation_transaction(organisation):
        invitation = Invitation.objects.create(
            organisation=organisation, email="invitee@alpha.example", role=Role.HEAD
        )
    return {"invitation": invitation.public_id, "invitation_token": invitation_token(invitation)}
