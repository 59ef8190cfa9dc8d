"""Fixtures of the housing screens' tests."""

from __future__ import annotations

import pytest

from iml.models import Role
from tests.housing.samples import samples


@pytest.fixture
def regisseur_a(members_a):
    return members_a[Role.REGISSEUR]


@pytest.fixture
def regisseur_client(client, regisseur_a):
    client.force_login(regisseur_a.user)
    return client


@pytest.fixture
def social_worker_client(client, social_worker_a):
    client.force_login(social_worker_a.user)
    return client


@pytest.fixture
def objects_a(org_a, dispositif_a):
    """One object of organisation A per URL keyword argument (public identifiers)."""
    return samples(org_a, {"_dispositif": dispositif_a})
