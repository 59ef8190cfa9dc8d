"""What a funder's agent may see and do, and the operators' benchmark: the territory comes from
the agent's institution (never a parameter), the second factor is always asked, every view and
export is logged, and an operator sees its région's sum only when it names nobody.

The URL by URL sweeps (agents of other territories, agents on every operator URL) are in
tests/test_isolation_sweep.py.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time
from hypothesis import event, given, settings
from hypothesis import strategies as st

from funders import services
from funders.models import FunderAccess, Submission
from iml.models import Role
from iml.validators import FORBIDDEN
from tests import hostile
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory
from tests.funders.helpers import agent, ddets, dreets, figures_with, national, submitted
from tests.test_hostile_input import EXAMPLES, HOSTILE, _request, assert_escaped, assert_on_site
from tests.test_isolation_sweep import FUNDER_URLS, all_url_patterns, text_of

D = datetime.date
YEAR = {"annee": "2025"}


@pytest.fixture(autouse=True)
def _frozen():
    with freeze_time("2026-03-16 10:00:00"):
        yield


@pytest.fixture
def head(head_a):
    return head_a.user


def operator(slug: str, name: str, departement: str):
    """Another operator and its head."""
    organisation = OrganisationFactory(slug=slug, name=name, departement=departement)
    return organisation, MembershipFactory(organisation=organisation, role=Role.HEAD).user


@pytest.fixture
def alpha_80(org_a, head):
    """A's 2025 report, submitted to the Somme's DDETS: it counts in 80, région 32."""
    dispositif = DispositifFactory(
        organisation=org_a, code="IML-A80", name="Dispositif Alpha Somme", ddets=ddets("80")
    )
    return submitted(dispositif, head)


@pytest.fixture
def gamma_71(org_a):
    """Another operator's 2025 report in Saône-et-Loire (71), région 27."""
    organisation, head = operator("gamma", "Association Gamma", "71")
    dispositif = DispositifFactory(
        organisation=organisation, code="IML-G71", name="Dispositif Gamma", ddets=ddets("71")
    )
    return submitted(dispositif, head)


def url_of(name: str, submission: Submission) -> str:
    kwargs = dict(all_url_patterns())[name]
    return reverse(name, kwargs=dict.fromkeys(kwargs, submission.public_id))


# --- The second factor --------------------------------------------------------------------------


@pytest.mark.real_two_factor
@pytest.mark.parametrize("device", [None, "totp"], ids=["never-set-up", "set-up"])
def test_an_agent_past_the_password_only_is_sent_to_the_second_factor(client, alpha_80, device):
    user = agent(ddets("80")).user
    if device:
        TOTPDevice.objects.create(user=user, name="téléphone", confirmed=True)
    # Without the ``tests`` device of conftest: the password only.
    client.force_login(user)
    step = reverse("two_factor_verify" if device else "two_factor_setup")
    for name in sorted(FUNDER_URLS):
        url = url_of(name, alpha_80)
        for method in ("get", "post"):
            data = {"decision": "recu"} if method == "post" else {}
            response = getattr(client, method)(url, data)
            if name == "funders:submission_review" and method == "get":
                assert response.status_code == 405
                continue
            assert response.status_code == 302, f"{method} {url}: {response.status_code}"
            assert response["Location"] == f"{step}?{urlencode({'next': url})}"
    # The dashboard, the login's destination, too (not the funder's home yet).
    assert client.get("/")["Location"].startswith(step)
    assert not FunderAccess.objects.exists()
    alpha_80.refresh_from_db()
    assert alpha_80.status == "transmis"


# --- The territory ------------------------------------------------------------------------------


def test_the_region_of_a_dreets_is_its_own_whatever_the_parameter(client, alpha_80, gamma_71):
    client.force_login(agent(dreets("32")).user)
    response = client.get(reverse("funders:regional"), {**YEAR, "region": "27"})
    assert response.status_code == 200
    assert response.context["region"] == "32"
    assert [code for code, _ in response.context["regions"]] == ["32"]
    body = response.content.decode()
    assert "Association Alpha" in body and "Hauts-de-France" in body
    assert "Gamma" not in body and "Bourgogne" not in body
    export = client.get(reverse("funders:regional"), {**YEAR, "region": "27", "format": "xlsx"})
    assert "revue-regionale-32-2025" in export["Content-Disposition"]
    assert "Alpha" in text_of(export) and "Gamma" not in text_of(export)
    # Nor do the home page's parameters widen it.
    home = client.get(reverse("funders:home"), {**YEAR, "region": "27", "departement": "71"})
    assert "Dispositif Alpha Somme" in home.content.decode()
    assert "Gamma" not in home.content.decode()
    assert client.get(url_of("funders:submission_detail", gamma_71)).status_code == 404


def test_the_national_level_chooses_any_region(client, alpha_80, gamma_71):
    client.force_login(agent(national()).user)
    response = client.get(reverse("funders:regional"), {**YEAR, "region": "27"})
    assert response.context["region"] == "27"
    assert "Association Gamma" in response.content.decode()
    assert "Alpha" not in response.content.decode()
    # An unknown région falls back to the first one, not to every one.
    response = client.get(reverse("funders:regional"), {**YEAR, "region": "99"})
    assert response.status_code == 200 and response.context["region"] != "99"


@pytest.mark.parametrize("departement", ["80", "71"])
def test_a_ddets_has_no_regional_review(client, alpha_80, gamma_71, departement):
    client.force_login(agent(ddets(departement)).user)
    for query in ({}, {"region": "32"}, {"region": "27", "format": "xlsx"}):
        response = client.get(reverse("funders:regional"), {**YEAR, **query})
        assert response.status_code == 403
        assert "Alpha" not in text_of(response) and "Gamma" not in text_of(response)
    assert not FunderAccess.objects.filter(object_type="revue-regionale").exists()


def test_a_ddets_sees_its_departement_only(client, alpha_80, gamma_71):
    client.force_login(agent(ddets("71")).user)
    home = client.get(reverse("funders:home"), YEAR).content.decode()
    assert "Dispositif Gamma" in home and "Alpha" not in home
    assert client.get(url_of("funders:submission_detail", gamma_71)).status_code == 200
    for name in ("funders:submission_detail", "funders:submission_pdf", "funders:submission_xlsx"):
        assert client.get(url_of(name, alpha_80)).status_code == 404


# --- The access log -----------------------------------------------------------------------------


def test_every_funder_view_and_export_is_logged(client, alpha_80):
    somme, hdf = ddets("80"), dreets("32")
    ddets_agent, dreets_agent = agent(somme).user, agent(hdf).user
    sid = alpha_80.public_id
    home = f"{reverse('funders:home')}?annee=2025"
    regional = f"{reverse('funders:regional')}?region=32&annee=2025"
    visits = [
        (ddets_agent, somme, home, "view", None),
        (ddets_agent, somme, url_of("funders:submission_detail", alpha_80), "view", sid),
        (ddets_agent, somme, url_of("funders:submission_pdf", alpha_80), "export", sid),
        (ddets_agent, somme, url_of("funders:submission_xlsx", alpha_80), "export", sid),
        (dreets_agent, hdf, url_of("funders:submission_detail", alpha_80), "view", sid),
        (dreets_agent, hdf, regional, "view", None),
        (dreets_agent, hdf, f"{regional}&format=xlsx", "export", None),
    ]
    for user, institution, url, action, object_id in visits:
        client.force_login(user)
        before = FunderAccess.objects.count()
        assert client.get(url).status_code == 200, url
        assert FunderAccess.objects.count() == before + 1, f"{url}: not logged"
        row = FunderAccess.objects.order_by("-pk").first()
        assert (row.user, row.institution, row.action, row.object_id, row.path) == (
            user, institution, action, object_id, url,
        )  # fmt: skip
        assert row.at == datetime.datetime(2026, 3, 16, 10, 0, tzinfo=datetime.UTC)
    # What each institution's agents opened, on its own log page: the DDETS's four lines.
    client.force_login(ddets_agent)
    page = client.get(reverse("funders:access_log"))
    listed = [e.path for e in page.context["page"].object_list if e.object_type != "journal"]
    assert listed[-4:] == [url for user, _, url, _, _ in reversed(visits) if user == ddets_agent]


def test_opening_the_access_log_is_logged_too(client, db):
    somme = ddets("80")
    client.force_login(agent(somme).user)
    assert client.get(reverse("funders:access_log")).status_code == 200
    assert FunderAccess.objects.filter(institution=somme).count() == 1


def test_the_operator_sees_when_its_ddets_opened_the_report(client, alpha_80, head):
    client.force_login(agent(dreets("32")).user)
    assert client.get(url_of("funders:submission_detail", alpha_80)).status_code == 200
    client.force_login(head)
    page = client.get(reverse("funders:operator_submissions"))
    assert [opened for _, opened in page.context["submissions"]] == [None]


# --- The operator's benchmark -------------------------------------------------------------------


def cells(response, label: str) -> list[str]:
    return next(row["cells"] for row in response.context["rows"] if row["label"] == label)


def test_the_benchmark_shows_the_region_from_three_operators_and_names_none(client, org_a, head):
    # A is in 71: région 27, Bourgogne-Franche-Comté.
    alpha = DispositifFactory(
        organisation=org_a, code="IML-A71", name="Dispositif Alpha", places=10, ddets=ddets("71")
    )
    submitted(alpha, head, figures=figures_with(present_at_end=17, entered=9, exited=6))
    gamma, gamma_head = operator("gamma", "Association Gamma", "71")
    submitted(
        DispositifFactory(organisation=gamma, code="IML-G71", name="Dispositif Gamma",
                          places=20, ddets=ddets("71")),
        gamma_head, figures=figures_with(present_at_end=23, entered=11, exited=7),
    )  # fmt: skip
    # Another région's operator: never in région 27's sum.
    epsilon, epsilon_head = operator("epsilon", "Association Epsilon", "80")
    submitted(
        DispositifFactory(organisation=epsilon, code="IML-E80", name="Dispositif Epsilon",
                          places=500, ddets=ddets("80")),
        epsilon_head, figures=figures_with(present_at_end=400, entered=100, exited=50),
    )  # fmt: skip
    others = ["Gamma", "IML-G71", "Delta", "IML-D21", "Epsilon", "IML-E80"]

    client.force_login(head)
    page = client.get(reverse("funders:benchmark"), YEAR)
    # Two operators: the région's sum less A's own would be Gamma's figures.
    assert page.context["enough"] is False
    assert [c.label for c in page.context["columns"]] == ["Dispositif Alpha (IML-A71)"]
    assert cells(page, "Ménages présents en fin de période") == ["17"]
    body = page.content.decode()
    assert "Moins de 3 opérateurs" in body
    assert not [name for name in others if name in body]

    delta, delta_head = operator("delta", "Association Delta", "21")
    delta_report = submitted(
        DispositifFactory(organisation=delta, code="IML-D21", name="Dispositif Delta",
                          places=30, ddets=ddets("21")),
        delta_head, figures=figures_with(present_at_end=31, entered=13, exited=8),
    )  # fmt: skip
    page = client.get(reverse("funders:benchmark"), YEAR)
    assert page.context["enough"] is True
    assert [c.label for c in page.context["columns"]] == [
        "Dispositif Alpha (IML-A71)",
        "Région Bourgogne-Franche-Comté (3 opérateurs)",
    ]
    # By hand: 10 + 20 + 30 places; 17 + 23 + 31 present; 9 + 11 + 13 entered; 6 + 7 + 8
    # exited; 8 entries by the SIAO each (the funder's block): 24 of 33 = 72.7 %.
    assert cells(page, "Places financées") == ["10", "60"]
    assert cells(page, "Ménages présents en fin de période") == ["17", "71"]
    assert cells(page, "Ménages entrés") == ["9", "33"]
    assert cells(page, "Ménages sortis") == ["6", "21"]
    assert cells(page, "Entrées orientées par le SIAO") == ["88,9\u00a0%", "72,7\u00a0%"]
    body = page.content.decode()
    assert not [name for name in others if name in body]

    # Delta's report returned: two operators again, the région's sum is hidden again.
    services.send_back(submission=delta_report, by=agent(ddets("21")).user, comment="À revoir.")
    page = client.get(reverse("funders:benchmark"), YEAR)
    assert page.context["enough"] is False and len(page.context["columns"]) == 1

    # Gamma's head reads the same way: nothing of A.
    client.force_login(gamma_head)
    body = client.get(reverse("funders:benchmark"), YEAR).content.decode()
    assert "Alpha" not in body and "IML-A71" not in body


# --- Hostile input: the DDETS's review ----------------------------------------------------------


def test_hostile_review_posts_are_refused_or_stored_escaped(client, alpha_80, head):
    """The review's two forms (acknowledge, return with a comment) as tests/hostile.py fills
    them in, posted by the DDETS's agent (the hostile-input sweep posts as operators' members,
    whom these URLs refuse): no server error, a redirection to the report, and the report's
    page and the operator's show what was stored escaped. Each example is rolled back."""
    client.force_login(agent(ddets("80")).user)
    detail = url_of("funders:submission_detail", alpha_80)
    review = url_of("funders:submission_review", alpha_80)
    page = client.get(detail).content.decode()
    forms = [f for f in hostile.parse_forms(page) if f.method == "post" and f.action == review]
    assert [sorted(f.fields) for f in forms] == [["decision"], ["comment", "decision"]]
    strategies = [hostile.form_data(form.fields) for form in forms]
    operator_client = Client()
    operator_client.force_login(head)
    pages = [(client, detail), (operator_client, reverse("funders:operator_submissions"))]

    @settings(HOSTILE, max_examples=EXAMPLES * 2)
    @given(data=st.data())
    def examples(data):
        values = data.draw(st.sampled_from(strategies).flatmap(lambda s: s), label="values")
        encoding = data.draw(st.sampled_from(["urlencoded", "multipart"]), label="encoding")
        where = f"POST {review} ({encoding}) with {hostile.shorten(values)}"
        with transaction.atomic():
            response = _request(client, "post", review, values, encoding, {})
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert assert_on_site(response, where) == detail
            for reader, page in pages:
                shown = reader.get(page)
                assert shown.status_code == 200, f"{where}, then GET {page}"
                assert_escaped(shown, f"{where}, then GET {page}")
            stored = Submission.objects.get(pk=alpha_80.pk)
            assert stored.status in ("transmis", "recu", "renvoye")
            assert (stored.status == "renvoye") == bool(stored.comment), where
            event(f"stored as {stored.status}")
            seen.add(stored.status)
            transaction.set_rollback(True)

    seen: set[str] = set()
    examples()
    # The hostile values reached the service: posts refused and a comment stored.
    assert {"transmis", "renvoye"} <= seen


def test_a_return_comment_with_invisible_characters_is_refused(client, alpha_80):
    client.force_login(agent(ddets("80")).user)
    client.post(
        url_of("funders:submission_review", alpha_80),
        {"decision": "renvoye", "comment": "Les sorties \u202emanquent\u202c."},
    )
    alpha_80.refresh_from_db()
    assert not FORBIDDEN.search(alpha_80.comment)
