import pytest
from django.urls import reverse

from iml.models import Dispositif, Role
from iml.scoping import organisation_context
from tests.factories import DispositifFactory

VALID = {
    "code": "IML-CL",
    "name": "IML classique",
    "category": "classique",
    "zone": "tendue",
    "funder": "DDETS — BOP 177",
    "places": 20,
    "report_start_month": 11,
    "age_brackets": "0-17;18-24;25-39;40-59;60+",
    "is_active": "on",
}


@pytest.fixture
def admin_client(client, admin_a):
    client.force_login(admin_a.user)
    return client


@pytest.mark.django_db
def test_admin_creates_a_dispositif(admin_client, org_a):
    response = admin_client.post(reverse("dispositif_create"), VALID, follow=True)
    assert "Dispositif créé : IML classique" in response.content.decode()
    dispositif = Dispositif.all_organisations.get(code="IML-CL")
    assert dispositif.organisation == org_a
    assert dispositif.report_start_month == 11 and dispositif.places == 20


@pytest.mark.django_db
def test_bad_input_is_explained_and_nothing_is_written(admin_client):
    data = {**VALID, "age_brackets": "0-17;20+", "category": "autre", "places": "-1"}
    response = admin_client.post(reverse("dispositif_create"), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "se suivre sans trou" in body
    assert "Sélectionnez un choix valide" in body
    assert 'value="IML classique"' in body  # what the user typed is kept
    assert not Dispositif.all_organisations.exists()


@pytest.mark.django_db
def test_duplicate_code_is_refused_in_french(admin_client, dispositif_a):
    response = admin_client.post(reverse("dispositif_create"), {**VALID, "code": "IML-A"})
    assert "porte déjà ce code" in response.content.decode()
    assert Dispositif.all_organisations.filter(code="IML-A").count() == 1


@pytest.mark.django_db
def test_same_code_is_allowed_in_another_organisation(admin_client, org_a, org_b):
    DispositifFactory(organisation=org_b, code="IML-CL")
    admin_client.post(reverse("dispositif_create"), VALID)
    for organisation in (org_a, org_b):
        with organisation_context(organisation):
            assert Dispositif.objects.filter(code="IML-CL").count() == 1


@pytest.mark.django_db
def test_admin_edits_a_dispositif(admin_client, dispositif_a):
    url = reverse("dispositif_edit", args=[dispositif_a.public_id])
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {**VALID, "code": "IML-A", "places": 14})
    dispositif_a.refresh_from_db()
    assert dispositif_a.places == 14 and dispositif_a.name == "IML classique"


@pytest.mark.django_db
def test_head_reads_the_list_but_cannot_edit(client, head_a, dispositif_a):
    client.force_login(head_a.user)
    body = client.get(reverse("dispositif_list")).content.decode()
    assert "Dispositif Alpha" in body
    assert f'href="{reverse("dispositif_edit", args=[dispositif_a.public_id])}"' not in body
    assert client.get(reverse("dispositif_create")).status_code == 403
    url = reverse("dispositif_edit", args=[dispositif_a.public_id])
    assert client.post(url, VALID).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.REGISSEUR])
def test_field_roles_do_not_see_dispositif_settings(client, members_a, role):
    client.force_login(members_a[role].user)
    assert client.get(reverse("dispositif_list")).status_code == 403


@pytest.mark.django_db
def test_empty_list_says_what_to_do(admin_client):
    body = admin_client.get(reverse("dispositif_list")).content.decode()
    assert "Aucun dispositif." in body and "Créez le premier" in body


@pytest.mark.django_db
def test_dispositif_list_query_count_does_not_grow(
    admin_client, org_a, django_assert_max_num_queries
):
    DispositifFactory.create_batch(3, organisation=org_a)
    with django_assert_max_num_queries(11):
        admin_client.get(reverse("dispositif_list"))
    DispositifFactory.create_batch(40, organisation=org_a)
    with django_assert_max_num_queries(11):
        response = admin_client.get(reverse("dispositif_list"))
    assert len(response.context["page"].object_list) == 25


@pytest.mark.django_db
def test_head_tunes_the_alert_thresholds(client, members_a, dispositif_a, members_b):
    from tests.conftest import login

    url = reverse("dispositif_alerts", args=[dispositif_a.public_id])
    login(client, members_a[Role.SOCIAL_WORKER])
    assert client.get(url).status_code == 403
    login(client, members_b[Role.HEAD])
    assert client.get(url).status_code == 404
    login(client, members_a[Role.HEAD])
    assert "Seuils d’alerte" in client.get(reverse("dispositif_list")).content.decode()
    data = {"alert_warning_days": "45", "alert_signature_days": "30", "alert_debt_months": "1,5",
            "alert_unpaid_calls": "2", "alert_instalment_grace_days": "10",
            "alert_no_contact_weeks": "4"}  # fmt: skip
    assert client.post(url, {**data, "alert_debt_months": "0"}).status_code == 200  # too low
    assert client.post(url, data).status_code == 302
    dispositif_a.refresh_from_db()
    assert (dispositif_a.alert_warning_days, dispositif_a.alert_no_contact_weeks) == (45, 4)
    assert str(dispositif_a.alert_debt_months) == "1.50"
