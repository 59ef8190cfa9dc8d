"""Isolation between organisations, URL by URL.

Walks every URL pattern of the project as users of organisation B (every role), with the
public identifiers of organisation A's objects, for GET and POST, and expects 404 (or 403),
nothing of A in the page, and no change to A's rows. A new URL pattern fails this test until
it has a sample below (``sample_kwargs``) or is listed, with its reason, in ``NOT_SCOPED``.

The funder's side (``funders``): its pages (``FUNDER_URLS``) refuse every operator's member;
agents of another territory get 404 on A's submitted report and see nothing of A; the agents
who do see it (its DDETS, the DREETS of its région, the national level) reach no operator URL.
The funder's tables have no row-level security: the snapshot of A's rows takes them whole.
"""

from __future__ import annotations

import importlib
import io
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from funders.models import FunderAccess, Submission
from iml.models import InstitutionKind, Role
from iml.scoping import OrganisationOwned
from tests.factories import DispositifFactory, MembershipFactory, UserFactory
from tests.funders.helpers import agent, ddets, dreets, national
from tests.funders.samples import SUBMITTED_REGION, SUBMITTED_YEAR

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

# The funder's pages (``/financeur/``): agents of a funder only (``funders.access.agent_required``
# refuses an operator's member with 403 before any lookup). Their objects are reached by
# territory, never by organisation: swept below with agents of other territories
# (``test_agents_of_another_territory_get_404_and_see_nothing``).
FUNDER_URLS = {
    "funders:home",
    "funders:submission_detail",
    "funders:submission_pdf",
    "funders:submission_xlsx",
    "funders:submission_review",
    "funders:regional",
    "funders:access_log",
}
FUNDER_PREFIX = "/financeur/"
# The pages of an account, open to a funder's agent too (``member_required(agents=True)``):
# they show nothing of any operator.
AGENT_ACCOUNT_PAGES = {
    "security": "the account page: the user's own second factor and preferences",
    "recovery_codes_renew": "the user's own recovery codes",
    "two_factor_disable": "the user's own second factor (refused: required of an agent)",
    "organisation_switch": "the user's own memberships (an agent has none: back to the dashboard)",
}
# The funder side's journal of what agents opened: a page view adds to it.
FUNDER_READ_LOGS = {"funders.FunderAccess"}

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
    "tests.funders.samples",
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
    """Every organisation-owned row of A, and every row of the funder's side, to prove that
    B's requests (or an agent's) changed nothing."""
    return {
        **{
            model._meta.label: list(
                model.all_organisations.filter(organisation=organisation).order_by("pk").values()
            )
            for model in apps.get_models()
            if issubclass(model, OrganisationOwned)
        },
        **funder_rows(),
    }


def funder_rows() -> dict[str, list[dict]]:
    """The funder side's tables (``funders``): no organisation scope and no row-level
    security, so all their rows (a submission made, reviewed or replaced by a request of B
    shows here), but the agents' access log, which a page view adds to."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_app_config("funders").get_models()
        if model._meta.label not in FUNDER_READ_LOGS
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


def test_the_funder_urls_are_those_under_the_funder_prefix():
    """A new page of the funder's side is swept as one (agents only, by territory)."""
    under_prefix = set()
    for name, kwargs in all_url_patterns():
        try:
            url = reverse(name, kwargs=dict.fromkeys(kwargs, uuid.UUID(int=1)))
        except NoReverseMatch:  # not an identifier (a signed token): not the funder's
            continue
        if url.startswith(FUNDER_PREFIX):
            under_prefix.add(name)
    assert under_prefix == FUNDER_URLS
    names = {name for name, _ in all_url_patterns()}
    assert set(AGENT_ACCOUNT_PAGES) <= names


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
                if name in FUNDER_URLS:
                    # Not an agent: refused before the lookup, whatever the identifier.
                    allowed = (403, 405) if method == "get" else (403,)
                assert response.status_code in allowed, (
                    f"{method.upper()} {url} as {role} of B: {response.status_code}"
                )
                body = text_of(response)
                for marker in A_MARKERS:
                    assert marker not in body, f"{url} shows '{marker}' to {role} of B"
                not_found_for_some_role |= response.status_code == 404
        assert not_found_for_some_role or name in FUNDER_URLS, (
            f"{url}: B never reached the object lookup (only 403)"
        )
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


# --- The funder's side: agents, by territory -------------------------------------------------

# A's report (tests/funders/samples.py) is submitted to the DDETS of the Somme (80), région 32.
# These see it: its DDETS, the DREETS of its région, the national level.
SEEING = {
    "ddets-80": lambda: ddets("80"),
    "dreets-32": lambda: dreets("32"),
    "national": national,
}
# These do not: the DDETS of Saône-et-Loire (71, région 27, where A itself is), the DDETS of
# the Aisne (02: the same région 32, another département), the DREETS of région 27.
OTHER_TERRITORIES = {
    "ddets-71": lambda: ddets("71"),
    "ddets-02": lambda: ddets("02"),
    "dreets-27": lambda: dreets("27"),
}
YEAR = f"annee={SUBMITTED_YEAR}"


def assert_nothing_of_a(response, where: str) -> None:
    body = text_of(response)
    for marker in A_MARKERS:
        assert marker not in body, f"{where} shows '{marker}'"


@pytest.mark.django_db
@pytest.mark.parametrize("institution", list(OTHER_TERRITORIES))
def test_agents_of_another_territory_get_404_and_see_nothing(client, world, institution):
    samples, org_a = world["samples"], world["org_a"]
    funder = OTHER_TERRITORIES[institution]()
    client.force_login(agent(funder).user)
    before = snapshot(org_a)
    reviewable = funder.kind != InstitutionKind.DDETS
    for name, kwargs in all_url_patterns():
        if name not in FUNDER_URLS:
            continue
        url = reverse(name, kwargs={k: samples[k] for k in kwargs})
        if kwargs:
            assert kwargs == ["submission"]
            for method in ("get", "post"):
                # The review is POST-only: a GET is refused before any lookup.
                data = {"decision": "recu"} if method == "post" else {}
                response = getattr(client, method)(url, data)
                allowed = (404, 405) if method == "get" else (404,)
                where = f"{method.upper()} {url} as {institution}"
                assert response.status_code in allowed, f"{where}: {response.status_code}"
                assert_nothing_of_a(response, where)
            continue
        # The pages of the territory: the default year, A's report's, and a parameter naming
        # A's département and région (a parameter narrows, never widens).
        queries = (
            "",
            YEAR,
            f"{YEAR}&region={SUBMITTED_REGION}&departement=80",
            f"{YEAR}&region={SUBMITTED_REGION}&format=xlsx",
        )
        for query in queries:
            response = client.get(f"{url}?{query}")
            expected = 403 if name == "funders:regional" and not reviewable else 200
            where = f"GET {url}?{query} as {institution}"
            assert response.status_code == expected, f"{where}: {response.status_code}"
            assert_nothing_of_a(response, where)
    assert snapshot(org_a) == before, f"a request of {institution} changed a row"
    assert not FunderAccess.objects.filter(object_id=samples["submission"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("institution", list(SEEING))
def test_agents_of_the_territory_see_the_report(client, world, institution):
    """The other side of the previous test: the same URLs show A's report to its DDETS, the
    DREETS of its région and the national level (the 404 above is the territory's)."""
    samples, org_a = world["samples"], world["org_a"]
    funder = SEEING[institution]()
    client.force_login(agent(funder).user)
    detail = reverse("funders:submission_detail", kwargs={"submission": samples["submission"]})
    response = client.get(detail)
    assert response.status_code == 200
    assert "Association Alpha" in text_of(response)
    assert "Dispositif Alpha de la Somme" in text_of(client.get(f"/financeur/?{YEAR}"))
    regional = client.get(f"{reverse('funders:regional')}?{YEAR}&region={SUBMITTED_REGION}")
    if funder.kind == InstitutionKind.DDETS:
        assert regional.status_code == 403
    else:
        assert regional.status_code == 200 and "Association Alpha" in text_of(regional)
    # Only the funding DDETS reviews it: the DREETS and the national level read it.
    before = snapshot(org_a)
    review = client.post(
        reverse("funders:submission_review", kwargs={"submission": samples["submission"]}),
        {"decision": "renvoye", "comment": "À corriger."},
    )
    if funder.kind == InstitutionKind.DDETS:
        assert review.status_code == 302
        assert Submission.objects.get(public_id=samples["submission"]).status == "renvoye"
    else:
        assert review.status_code == 403
        assert snapshot(org_a) == before


@pytest.mark.django_db
@pytest.mark.parametrize("institution", list(SEEING))
def test_funder_agents_reach_no_operator_url(client, world, institution):
    """An agent of the funder that sees A's report walks every other URL of the project with
    A's identifiers: refused (403 or 404), but for their account's own pages and the
    dashboard (sent to the funder's home); nothing of A, and no row of A changed."""
    samples, org_a = world["samples"], world["org_a"]
    client.force_login(agent(SEEING[institution]()).user)
    before = snapshot(org_a)
    swept = 0
    for name, kwargs in all_url_patterns():
        if name in NOT_SCOPED or name in FUNDER_URLS:
            continue
        url = reverse(name, kwargs={k: samples[k] for k in kwargs})
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            where = f"{method.upper()} {url} as an agent of {institution}"
            if name == "dashboard":
                assert response.status_code == 302, f"{where}: {response.status_code}"
                assert response["Location"] == reverse("funders:home"), where
            elif name in AGENT_ACCOUNT_PAGES:
                assert response.status_code in (200, 302, 405), f"{where}: {response.status_code}"
            else:
                # 405: a view for one method only refuses the other before anything else.
                assert response.status_code in (403, 404, 405), f"{where}: {response.status_code}"
            assert_nothing_of_a(response, where)
        swept += 1
    assert swept >= 100
    assert snapshot(org_a) == before, f"an agent of {institution} changed a row of A"


@pytest.mark.django_db
def test_the_operator_submission_pages_show_nothing_of_another_organisation(client, world):
    """``/transmission/`` reads the funder's tables (no row-level security) filtered on the
    current organisation: B's head, in A's report's région (32), sees nothing of A, for any
    year."""
    head_b = world["members_b"][Role.HEAD]
    client.force_login(head_b.user)
    for name in ("funders:operator_submissions", "funders:benchmark"):
        for query in ("", YEAR):
            response = client.get(f"{reverse(name)}?{query}")
            assert response.status_code == 200
            assert_nothing_of_a(response, f"{name}?{query} as B's head")
    assert not client.get(f"{reverse('funders:benchmark')}?{YEAR}").context["own"]
