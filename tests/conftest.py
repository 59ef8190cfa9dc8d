"""Shared fixtures: two organisations (A and B) with a member of each role in each."""

from __future__ import annotations

import pytest

from iml.models import Role
from iml.scoping import organisation_context
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="Association Alpha", slug="alpha")


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Association Bêta", slug="beta", departement="80")


def _members(organisation, prefix: str) -> dict[str, object]:
    return {
        role.value: MembershipFactory(
            organisation=organisation,
            role=role,
            user__email=f"{role.value}@{prefix}.example",
        )
        for role in Role
    }


@pytest.fixture
def members_a(org_a):
    return _members(org_a, "alpha")


@pytest.fixture
def members_b(org_b):
    return _members(org_b, "beta")


@pytest.fixture
def admin_a(members_a):
    return members_a[Role.ADMIN]


@pytest.fixture
def head_a(members_a):
    return members_a[Role.HEAD]


@pytest.fixture
def social_worker_a(members_a):
    return members_a[Role.SOCIAL_WORKER]


@pytest.fixture
def dispositif_a(org_a):
    return DispositifFactory(organisation=org_a, code="IML-A", name="Dispositif Alpha")


@pytest.fixture
def as_org_a(org_a):
    """Run the test body as organisation A (what the middleware does for a request)."""
    with organisation_context(org_a):
        yield org_a


def login(client, membership):
    client.force_login(membership.user)
    return client
