"""Isolation between organisations, URL by URL.

Walks every URL pattern of the project as users of organisation B (every role), with the
public identifiers of organisation A's objects, for GET and POST, and expects 404 (or 403),
nothing of A in the page, and no change to A's rows. A new URL pattern fails this test until
it has a sample below (``sample_kwargs``) or is listed, with its reason, in ``NOT_SCOPED``.
"""

from __future__ import annotations

import importlib
import io
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from iml.models import Role
from iml.scoping import OrganisationOwned
from tests.factories import DispositifFactory, MembershipFactory, UserFactory

# URL names that hold no organisation data, with the reason.
NOT_SCOPED = {
    "login": "public login page",
    "logout": "ends the session only",
    "password_reset": "public, answers the same whatever the address",
    "password_reset_done": "static confirmation page",
    "password_reset_confirm": "signed token bound to one user, not to an organisation",
    "password_reset_complete": "static confirmation page",
    "health": "liveness probe, no data",
    "two_factor_verify": "the user's own second factor, before any organisation",
    "two_factor_setup": "the user's own second factor, before any organisation",
    "logout_everywhere": "ends the user's own sessions only",
    "support:agenda_feed": "signed token bound to one member's calendar link, read without login; "
    "tested in tests/support/test_agenda.py (forged, revoked, another organisation's)",
}
# Django admin: platform superusers only, tested in tests/iml/test_auth_and_dashboard.py.
SKIPPED_NAMESPACES = {"admin"}

# Strings of organisation A that must never appear in a page served to B.
A_MARKERS = [
    "Association Alpha",
    "Dispositif Alpha",
    "@alpha.example",
    "IML-ALPHA",
    "MENAGE-ALPHA",
    "Zoé Alpha",
    "Alpha Zoé",
]


# Each app that adds URLs adds a module tests/<app>/samples.py with
# ``def samples(organisation, base) -> dict[str, Any]``: one object of organisation A per URL
# keyword argument it introduces (``base`` holds the samples made so far, in this order).
SAMPLE_MODULES = [
    "tests.housing.samples",
    "tests.households.samples",
    "tests.tenancy.samples",
    "tests.tenancy.samples_inventories",
    "tests.tenancy.samples_owners",
    "tests.support.samples_contracts",
    "tests.support.samples_network",
    "tests.papers.samples",
    "tests.rehousing.samples",
    "tests.banking.samples_statements",
    "tests.banking.samples_reconcile",
    "tests.banking.samples_caf",
    "tests.banking.samples_sepa",
    "tests.alerts.samples",
    "tests.reporting.samples",
    "tests.workbook.samples",
]


def sample_kwargs(organisation) -> dict[str, Any]:
    """One object of organisation A for each URL keyword argument."""
    dispositif = DispositifFactory(
        organisation=organisation, code="IML-ALPHA", name="Dispositif Alpha"
    )
    samples: dict[str, Any] = {
        "membership": MembershipFactory(
            organisation=organisation, user__email="sample@alpha.example"
        ).public_id,
        "dispositif": dispositif.public_id,
        "_dispositif": dispositif,
    }
    for module in SAMPLE_MODULES:
        samples.update(importlib.import_module(module).samples(organisation, samples))
    return samples


def walk(patterns, namespace: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in SKIPPED_NAMESPACES:
                continue
            yield from walk(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, list(entry.pattern.converters) or _regex_groups(entry)


def _regex_groups(entry: URLPattern) -> list[str]:
    return list(entry.pattern.regex.groupindex)


def all_url_patterns() -> list[tuple[str, list[str]]]:
    return list(walk(get_resolver().url_patterns))


def snapshot(organisation) -> dict[str, list[dict]]:
    """Every organisation-owned row of A, to prove that B's requests changed nothing."""
    return {
        model._meta.label: list(
            model.all_organisations.filter(organisation=organisation).order_by("pk").values()
        )
        for model in apps.get_models()
        if issubclass(model, OrganisationOwned)
    }


def text_of(response) -> str:
    """What a person would read in the response: a PDF's text is in compressed streams, a
    workbook's in zipped XML."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        from pypdf import PdfReader

        return "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
    if "spreadsheetml" in content_type:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(
            " ".join(str(value) for value in row if value is not None)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    return response.content.decode()


def test_every_url_pattern_is_named_and_classified():
    for name, kwargs in all_url_patterns():
        assert name, f"URL pattern without a name (kwargs {kwargs}): name it to sweep it"


@pytest.fixture
def world(org_a, org_b, members_a, members_b):
    samples = sample_kwargs(org_a)
    DispositifFactory(organisation=org_b, code="IML-B", name="Dispositif Bêta")
    return {"samples": samples, "members_b": members_b, "org_a": org_a}


@pytest.mark.django_db
def test_users_of_another_organisation_get_404_on_every_object_url(client, world):
    samples, members_b, org_a = world["samples"], world["members_b"], world["org_a"]
    before = snapshot(org_a)
    swept = 0
    for name, kwargs in all_url_patterns():
        if name in NOT_SCOPED or not kwargs:
            continue
        missing = [k for k in kwargs if k not in samples]
        assert not missing, (
            f"URL '{name}' takes {missing}: add a sample object of organisation A for it in "
            "tests/test_isolation_sweep.py::sample_kwargs"
        )
        url = reverse(name, kwargs={k: samples[k] for k in kwargs})
        not_found_for_some_role = False
        for role in Role:
            client.force_login(members_b[role].user)
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                # A POST-only view answers GET with 405 before any lookup: nothing to leak.
                allowed = (403, 404, 405) if method == "get" else (403, 404)
                assert response.status_code in allowed, (
                    f"{method.upper()} {url} as {role} of B: {response.status_code}"
                )
                body = text_of(response)
                for marker in A_MARKERS:
                    assert marker not in body, f"{url} shows '{marker}' to {role} of B"
                not_found_for_some_role |= response.status_code == 404
        assert not_found_for_some_role, f"{url}: B never reached the object lookup (only 403)"
        swept += 1
    assert swept >= 2
    assert snapshot(org_a) == before, "a request of organisation B changed A's data"


@pytest.mark.django_db
def test_organisation_pages_show_nothing_of_another_organisation(client, world):
    members_b = world["members_b"]
    for name, kwargs in all_url_patterns():
        if name in NOT_SCOPED or kwargs:
            continue
        url = reverse(name)
        for role in Role:
            client.force_login(members_b[role].user)
            response = client.get(url, follow=True)
            body = text_of(response)
            for marker in A_MARKERS:
                assert marker not in body, f"{url} shows '{marker}' to {role} of B"


@pytest.mark.django_db
def test_a_user_without_membership_sees_nothing(client, world):
    samples = world["samples"]
    stranger = UserFactory(email="personne@nulle-part.example")
    client.force_login(stranger)
    for name, kwargs in all_url_patterns():
        if name in NOT_SCOPED:
            continue
        url = reverse(name, kwargs={k: samples[k] for k in kwargs})
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if name == "organisation_switch" and method == "post":
                assert response.status_code == 302
                continue
            assert response.status_code in (403, 404, 405), f"{method} {url}: {response}"
            body = text_of(response)
            for marker in A_MARKERS:
                assert marker not in body


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client, world):
    samples = world["samples"]
    for name, kwargs in all_url_patterns():
        if name in NOT_SCOPED:
            continue
        url = reverse(name, kwargs={k: samples[k] for k in kwargs})
        response = client.get(url)
        assert response.status_code in (302, 405), f"GET {url}: {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))
