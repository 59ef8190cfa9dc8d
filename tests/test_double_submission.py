"""A form that creates something, posted twice (a double click, back then send again),
records once: every creating form's page carries the hidden key (``iml.submissions``), and the
second post of the same form leads to the first result without writing anything."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from freezegun import freeze_time

from households.models import ResourceRecord
from housing.models import Landlord
from iml.models import Role
from support.models import Interaction
from tenancy.models import LedgerEntry
from tests.conftest import login
from tests.test_isolation_sweep import sample_kwargs

# The pages of the forms that create a row each time they are sent, and who may use them.
CREATING_PAGES = [
    ("banking:line", ["line"], Role.REGISSEUR),
    ("households:household_orient", [], Role.SOCIAL_WORKER),
    ("households:person_add", ["household"], Role.SOCIAL_WORKER),
    ("households:resources_add", ["household"], Role.SOCIAL_WORKER),
    ("households:employment_add", ["person"], Role.SOCIAL_WORKER),
    ("housing:unit_create", [], Role.REGISSEUR),
    ("housing:room_create", ["unit"], Role.REGISSEUR),
    ("housing:lease_create", ["unit"], Role.REGISSEUR),
    ("housing:landlord_create", [], Role.REGISSEUR),
    ("housing:prospect_create", [], Role.REGISSEUR),
    ("tenancy:payment_entry", [], Role.REGISSEUR),
    ("tenancy:charge_create", ["contract"], Role.REGISSEUR),
    ("tenancy:contract_renew", ["contract"], Role.REGISSEUR),
    ("tenancy:incident_create", ["unit"], Role.REGISSEUR),
    ("tenancy:landlord_payment_create", ["lease"], Role.REGISSEUR),
    ("support:interaction_create", ["household"], Role.SOCIAL_WORKER),
    ("support:contract_renew", ["support_contract"], Role.SOCIAL_WORKER),
    ("support:contract_detail", ["support_contract"], Role.SOCIAL_WORKER),  # add an objective
    ("support:partner_create", [], Role.SOCIAL_WORKER),
    ("support:referral_create", ["household"], Role.SOCIAL_WORKER),
    ("support:workshop_create", [], Role.SOCIAL_WORKER),
]
KEY = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


@pytest.fixture
def samples(org_a):
    return sample_kwargs(org_a)


def _url(name, kwargs, samples):
    url = reverse(name, kwargs={k: samples[k] for k in kwargs})
    if name == "tenancy:payment_entry":
        url += f"?contrat={samples['contract']}"
    return url


@pytest.mark.django_db
def test_every_creating_form_carries_its_key(client, members_a, samples):
    missing = []
    for name, kwargs, role in CREATING_PAGES:
        login(client, members_a[role])
        response = client.get(_url(name, kwargs, samples))
        assert response.status_code == 200, name
        if not KEY.search(response.content.decode()):
            missing.append(name)
    assert missing == []


def _post_twice(client, url, data) -> tuple:
    key = KEY.search(client.get(url).content.decode()).group(1)
    first = client.post(url, {**data, "submission_key": key})
    second = client.post(url, {**data, "submission_key": key}, follow=True)
    return first, second


@pytest.mark.django_db
@freeze_time("2025-06-20 10:00")
@pytest.mark.parametrize(
    ("name", "kwargs", "role", "data", "count"),
    [
        (
            "households:resources_add", ["household"], Role.SOCIAL_WORKER,
            {"date": "2025-06-01", "resources": ["rsa"]}, lambda: ResourceRecord.objects.count(),
        ),
        (
            "support:interaction_create", ["household"], Role.SOCIAL_WORKER,
            {"date": "2025-06-19", "kind": "telephone", "domains": ["budget"]},
            lambda: Interaction.objects.count(),
        ),
        (
            "tenancy:charge_create", ["contract"], Role.REGISSEUR,
            {"kind": "degradation", "amount": "40", "date": "2025-06-19", "note": "Vitre"},
            lambda: LedgerEntry.objects.filter(kind="degradation").count(),
        ),
        (
            "housing:landlord_create", [], Role.REGISSEUR,
            {"name": "SCI des Tilleuls", "kind": "prive"}, lambda: Landlord.objects.count(),
        ),
    ],
)  # fmt: skip
def test_a_creating_form_sent_twice_records_once(
    client, members_a, samples, name, kwargs, role, data, count
):
    login(client, members_a[role])
    url = _url(name, kwargs, samples)
    before = count()
    first, second = _post_twice(client, url, data)
    assert first.status_code == 302, first.content.decode()[-2000:]
    assert count() == before + 1
    assert second.redirect_chain[0][0] == first.url
    assert "déjà été envoyé" in second.content.decode()


@pytest.mark.django_db
def test_a_refused_post_does_not_use_up_its_key(client, members_a, samples):
    """The key is taken only with what it created: corrected, the same form goes through."""
    login(client, members_a[Role.REGISSEUR])
    url = reverse("housing:landlord_create")
    key = KEY.search(client.get(url).content.decode()).group(1)
    refused = client.post(url, {"submission_key": key, "name": "", "kind": "prive"})
    assert refused.status_code == 200 and key in refused.content.decode()
    before = Landlord.objects.count()
    accepted = client.post(url, {"submission_key": key, "name": "SCI Bellevue", "kind": "prive"})
    assert accepted.status_code == 302 and Landlord.objects.count() == before + 1
