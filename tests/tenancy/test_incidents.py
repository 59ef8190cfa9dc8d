"""Technical incidents of units: reporting, following up to resolution, the screens, who may
do what."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from freezegun import freeze_time

from iml.models import Role
from tenancy import inventories
from tenancy.models import Incident, IncidentHistory, IncidentStatus
from tests.factories import UserFactory
from tests.housing.factories import HousingUnitFactory
from tests.tenancy.factories import IncidentFactory

D = datetime.date
SIGNALE, EN_COURS, RESOLU = IncidentStatus.SIGNALE, IncidentStatus.EN_COURS, IncidentStatus.RESOLU

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with freeze_time("2025-06-20"):
        yield


@pytest.fixture
def user():
    return UserFactory(email="regisseur@incidents.example")


@pytest.fixture
def unit(org_a, dispositif_a):
    return HousingUnitFactory(organisation=org_a, dispositif=dispositif_a, reference="LOG-INC")


@pytest.fixture
def incident(org_a, unit):
    return IncidentFactory(organisation=org_a, unit=unit, reported_on=D(2025, 3, 3))


def report(unit, user, **overrides):
    fields = {
        "kind": "chauffage",
        "description": "  Plus d’eau chaude depuis lundi.  ",
        "reported_on": D(2025, 6, 18),
        **overrides,
    }
    return inventories.incident_report(unit=unit, by=user, **fields)


def update(incident, user, status, resolved_on=None):
    return inventories.incident_update(
        incident=incident, status=status, resolved_on=resolved_on, by=user
    )


# --- Service --------------------------------------------------------------------------------


class TestReport:
    def test_reported(self, unit, user):
        incident = report(unit, user)
        assert incident.status == SIGNALE and incident.resolved_on is None
        assert incident.description == "Plus d’eau chaude depuis lundi."
        assert incident.unit == unit and incident.created_by == user
        assert incident.organisation_id == unit.organisation_id

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            (
                {"reported_on": D(2025, 6, 21)},
                "reported_on",
                "La date ne peut pas être dans le futur.",
            ),
            ({"reported_on": D(2023, 12, 31)}, "reported_on", "pas dans le parc à cette date"),
            ({"description": "   "}, "description", "Décrivez l’incident."),
            ({"kind": "incendie"}, "kind", "Choisissez la nature de l’incident."),
        ],
    )
    def test_refused(self, unit, user, overrides, field, message):
        with pytest.raises(ValidationError) as error:
            report(unit, user, **overrides)
        assert message in str(error.value.message_dict[field])
        assert not Incident.objects.exists()

    def test_not_on_a_unit_returned_to_its_landlord(self, org_a, user):
        returned = HousingUnitFactory(organisation=org_a, returned=True)  # returned 2024-06-01
        with pytest.raises(ValidationError, match="pas dans le parc"):
            report(returned, user, reported_on=D(2024, 6, 1))
        assert report(returned, user, reported_on=D(2024, 5, 31)).status == SIGNALE


class TestUpdate:
    def test_handled_then_resolved(self, incident, user):
        assert update(incident, user, EN_COURS).status == EN_COURS
        resolved = update(incident, user, RESOLU, D(2025, 3, 10))
        assert resolved.status == RESOLU and resolved.resolved_on == D(2025, 3, 10)
        incident.refresh_from_db()
        assert (incident.status, incident.resolved_on) == (RESOLU, D(2025, 3, 10))

    def test_resolved_straight_away_on_the_day_reported(self, incident, user):
        assert update(incident, user, RESOLU, D(2025, 3, 3)).resolved_on == D(2025, 3, 3)

    def test_reopened(self, incident, user):
        update(incident, user, RESOLU, D(2025, 3, 10))
        reopened = update(incident, user, EN_COURS)
        assert reopened.status == EN_COURS and reopened.resolved_on is None

    def test_resolution_date_corrected(self, incident, user):
        update(incident, user, RESOLU, D(2025, 3, 10))
        assert update(incident, user, RESOLU, D(2025, 3, 12)).resolved_on == D(2025, 3, 12)

    def test_history_keeps_every_step(self, incident, user):
        update(incident, user, EN_COURS)
        update(incident, user, RESOLU, D(2025, 3, 10))
        history = IncidentHistory.objects.filter(pgh_obj=incident).order_by("pgh_id")
        assert list(history.values_list("status", "resolved_on")) == [
            (SIGNALE, None),
            (EN_COURS, None),
            (RESOLU, D(2025, 3, 10)),
        ]

    @pytest.mark.parametrize(
        ("start", "status", "resolved_on", "field", "message"),
        [
            (EN_COURS, SIGNALE, None, "status", "ne peut pas revenir à « signalé »"),
            (RESOLU, SIGNALE, None, "status", "ne peut pas revenir à « signalé »"),
            (SIGNALE, RESOLU, None, "resolved_on", "Indiquez la date de résolution."),
            (SIGNALE, RESOLU, D(2025, 3, 2), "resolved_on", "ne peut précéder le signalement"),
            (SIGNALE, RESOLU, D(2025, 6, 21), "resolved_on", "ne peut pas être dans le futur"),
            (SIGNALE, EN_COURS, D(2025, 3, 10), "resolved_on", "qu’à un incident résolu"),
            (SIGNALE, "ferme", None, "status", "État inconnu."),
        ],
    )
    def test_refused_and_nothing_written(
        self, incident, user, start, status, resolved_on, field, message
    ):
        if start != SIGNALE:
            update(incident, user, start, D(2025, 3, 10) if start == RESOLU else None)
        incident.refresh_from_db()
        before = (incident.status, incident.resolved_on)
        with pytest.raises(ValidationError) as error:
            update(incident, user, status, resolved_on)
        assert message in str(error.value.message_dict[field])
        incident.refresh_from_db()
        assert (incident.status, incident.resolved_on) == before


def test_unit_incidents_open_ones_first(org_a, unit):
    old_open = IncidentFactory(organisation=org_a, unit=unit, reported_on=D(2025, 1, 5))
    resolved = IncidentFactory(
        organisation=org_a, unit=unit, reported_on=D(2025, 5, 1), status=RESOLU,
        resolved_on=D(2025, 5, 2),
    )  # fmt: skip
    new_open = IncidentFactory(
        organisation=org_a, unit=unit, reported_on=D(2025, 4, 1), status=EN_COURS
    )
    IncidentFactory(organisation=org_a)  # another unit
    assert inventories.unit_incidents(unit) == [new_open, old_open, resolved]


# --- Screens --------------------------------------------------------------------------------


def list_url() -> str:
    return reverse("tenancy:incident_list")


def create_url(unit) -> str:
    return reverse("tenancy:incident_create", kwargs={"unit": unit.public_id})


def edit_url(incident) -> str:
    return reverse("tenancy:incident_edit", kwargs={"incident": incident.public_id})


def unit_url(unit) -> str:
    return reverse("housing:unit_detail", kwargs={"unit": unit.public_id})


@pytest.fixture
def regisseur_client(client, members_a):
    client.force_login(members_a[Role.REGISSEUR].user)
    return client


@pytest.fixture
def social_worker_client(client, social_worker_a):
    client.force_login(social_worker_a.user)
    return client


class TestList:
    @pytest.fixture
    def three(self, org_a, unit):
        return {
            "leak": IncidentFactory(organisation=org_a, unit=unit, description="FUITE-1"),
            "heat": IncidentFactory(
                organisation=org_a, unit=unit, kind="chauffage", description="CHAUFFAGE-2",
                status=EN_COURS,
            ),
            "done": IncidentFactory(
                organisation=org_a, unit=unit, description="MOISI-3", kind="humidite",
                status=RESOLU, resolved_on=D(2025, 4, 1),
            ),
        }  # fmt: skip

    def shown(self, client, **params) -> set[str]:
        html = client.get(list_url(), params).content.decode()
        return {text for text in ("FUITE-1", "CHAUFFAGE-2", "MOISI-3") if text in html}

    def test_open_ones_by_default(self, social_worker_client, three):
        assert self.shown(social_worker_client) == {"FUITE-1", "CHAUFFAGE-2"}

    def test_filters(self, social_worker_client, three):
        client = social_worker_client
        assert self.shown(client, state="resolu") == {"MOISI-3"}
        assert self.shown(client, state="en_cours") == {"CHAUFFAGE-2"}
        assert self.shown(client, state="tous") == {"FUITE-1", "CHAUFFAGE-2", "MOISI-3"}
        assert self.shown(client, state="tous", kind="fuite") == {"FUITE-1"}

    def test_social_workers_only_read(self, social_worker_client, three):
        html = social_worker_client.get(list_url()).content.decode()
        assert edit_url(three["leak"]) not in html and unit_url(three["leak"].unit) in html

    def test_managers_follow_from_the_list(self, regisseur_client, three):
        html = regisseur_client.get(list_url()).content.decode()
        assert edit_url(three["leak"]) in html and edit_url(three["done"]) not in html

    def test_empty_state_says_what_to_do(self, regisseur_client, org_a):
        html = regisseur_client.get(list_url()).content.decode()
        assert "Aucun incident ne correspond à ces critères." in html
        assert "Signaler un incident" in html

    def test_query_count_does_not_grow_and_pages(
        self, social_worker_client, org_a, dispositif_a, django_assert_max_num_queries
    ):
        def grow(n):
            for _ in range(n):
                IncidentFactory(organisation=org_a, unit__dispositif=dispositif_a)

        grow(2)
        with django_assert_max_num_queries(10):
            social_worker_client.get(list_url())
        grow(40)
        with django_assert_max_num_queries(10):
            response = social_worker_client.get(list_url())
        assert len(response.context["page"].object_list) == 25
        assert "Page 1 sur 2" in response.content.decode()


class TestCreate:
    def test_reported_from_the_unit_page(self, regisseur_client, unit):
        html = regisseur_client.get(unit_url(unit)).content.decode()
        assert create_url(unit) in html and "Aucun incident signalé" in html
        form = regisseur_client.get(create_url(unit)).content.decode()
        assert 'value="2025-06-20"' in form and "LOG-INC" in form
        response = regisseur_client.post(
            create_url(unit),
            {"kind": "fuite", "reported_on": "2025-06-19", "description": "Fuite WC"},
            follow=True,
        )
        assert response.redirect_chain[-1][0] == unit_url(unit)
        html = response.content.decode()
        assert "Incident signalé : fuite d’eau, dégât des eaux." in html
        assert "Fuite WC" in html and "19/06/2025" in html
        incident = Incident.objects.get()
        assert incident.created_by == response.context["user"] and incident.status == SIGNALE

    def test_a_refusal_shows_on_the_form(self, regisseur_client, unit):
        response = regisseur_client.post(
            create_url(unit), {"kind": "fuite", "reported_on": "2025-07-01", "description": "x"}
        )
        assert "La date ne peut pas être dans le futur." in response.content.decode()
        assert not Incident.objects.exists()

    def test_social_workers_see_incidents_on_the_unit_page(self, social_worker_client, incident):
        html = social_worker_client.get(unit_url(incident.unit)).content.decode()
        assert "Fuite sous l’évier" in html and "signalé" in html
        assert create_url(incident.unit) not in html and edit_url(incident) not in html

    def test_unit_page_query_count_does_not_grow_with_incidents(
        self, regisseur_client, org_a, unit, django_assert_max_num_queries
    ):
        IncidentFactory(organisation=org_a, unit=unit)
        with django_assert_max_num_queries(15):
            regisseur_client.get(unit_url(unit))
        IncidentFactory.create_batch(10, organisation=org_a, unit=unit)
        with django_assert_max_num_queries(15):
            regisseur_client.get(unit_url(unit))


class TestEdit:
    def test_choices_follow_the_transitions(self, regisseur_client, incident):
        form = regisseur_client.get(edit_url(incident)).context["form"]
        assert [value for value, _ in form.fields["status"].choices] == [SIGNALE, EN_COURS, RESOLU]
        update(incident, None, EN_COURS)
        form = regisseur_client.get(edit_url(incident)).context["form"]
        assert [value for value, _ in form.fields["status"].choices] == [EN_COURS, RESOLU]

    def test_resolved(self, regisseur_client, incident):
        response = regisseur_client.post(
            edit_url(incident), {"status": RESOLU, "resolved_on": "2025-03-05"}
        )
        assert response.status_code == 302 and response["Location"] == unit_url(incident.unit)
        incident.refresh_from_db()
        assert (incident.status, incident.resolved_on) == (RESOLU, D(2025, 3, 5))

    def test_the_date_is_ignored_unless_resolved(self, regisseur_client, incident):
        regisseur_client.post(edit_url(incident), {"status": EN_COURS, "resolved_on": "2025-03-05"})
        incident.refresh_from_db()
        assert (incident.status, incident.resolved_on) == (EN_COURS, None)

    def test_a_refusal_shows_on_the_form(self, regisseur_client, incident):
        response = regisseur_client.post(
            edit_url(incident), {"status": RESOLU, "resolved_on": "2025-03-01"}
        )
        assert "La résolution ne peut précéder le signalement (03/03/2025)." in (
            response.content.decode()
        )
        incident.refresh_from_db()
        assert incident.status == SIGNALE


# --- Who may do what ------------------------------------------------------------------------

READERS = {Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD}
MANAGERS = {Role.REGISSEUR, Role.HEAD}


@pytest.fixture
def urls_a(incident):
    return {
        "incident_list": (list_url(), READERS),
        "incident_create": (create_url(incident.unit), MANAGERS),
        "incident_edit": (edit_url(incident), MANAGERS),
    }


def test_every_url_is_in_the_matrix(urls_a):
    from tenancy import urls

    assert {p.name for p in urls.urlpatterns if p.name.startswith("incident")} == set(urls_a)


def test_roles(client, members_a, urls_a, incident):
    for name, (url, allowed) in urls_a.items():
        for role in Role:
            client.force_login(members_a[role].user)
            status = client.get(url).status_code
            assert status == (200 if role in allowed else 403), f"GET {name} as {role}: {status}"
            if role not in allowed:
                assert client.post(url).status_code == 403, f"POST {name} as {role}"
    assert Incident.objects.count() == 1


def test_another_organisation_gets_404(client, members_b, urls_a, incident):
    for name, (url, _) in urls_a.items():
        if name == "incident_list":
            continue
        for role in MANAGERS:
            client.force_login(members_b[role].user)
            for method in ("get", "post"):
                response = getattr(client, method)(url, {"status": RESOLU, "kind": "fuite"})
                assert response.status_code == 404, f"{method} {name} as {role} of B"
    incident.refresh_from_db()
    assert incident.status == SIGNALE and Incident.objects.count() == 1


def test_another_organisation_does_not_see_the_list(client, members_b, incident):
    client.force_login(members_b[Role.REGISSEUR].user)
    html = client.get(list_url(), {"state": "tous"}).content.decode()
    assert "Fuite sous l’évier" not in html and "Aucun incident" in html


def test_anonymous_visitors_are_sent_to_login(client, urls_a):
    for url, _ in urls_a.values():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
