import pytest
from django.core import mail
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from iml.models import Role
from tests.conftest import shown
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory


@pytest.mark.django_db
def test_login_page_is_in_french(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Adresse e-mail" in body and "Mot de passe oublié" in body


@pytest.mark.django_db
@pytest.mark.real_two_factor
@pytest.mark.parametrize("role", list(Role))
def test_every_role_logs_in_by_email_and_reaches_its_dashboard(client, members_a, role):
    member = members_a[role]
    response = client.post(
        reverse("login"),
        {"username": member.user.email.upper(), "password": TEST_PASSWORD},
        follow=True,
    )
    if role in (Role.HEAD, Role.ADMIN):
        # Their role requires a second factor: set it up, then on to the dashboard.
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
        device = TOTPDevice.objects.get(user=member.user, confirmed=False)
        client.post(reverse("two_factor_setup"), {"token": totp(device.bin_key)})
        response = client.get(reverse("dashboard"), follow=True)
    else:
        assert response.redirect_chain[-1][0] == reverse("dashboard")
    body = response.content.decode()
    assert "Tableau de bord" in body
    assert member.get_role_display() in body
    assert "Association Alpha" in body


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_french_message(client, admin_a):
    response = client.post(
        reverse("login"), {"username": admin_a.user.email, "password": "pas le bon mot"}
    )
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_navigation_follows_the_role(client, members_a):
    client.force_login(members_a[Role.ADMIN].user)
    body = client.get(reverse("dashboard")).content.decode()
    assert reverse("member_list") in body and reverse("dispositif_list") in body

    client.force_login(members_a[Role.SOCIAL_WORKER].user)
    body = client.get(reverse("dashboard")).content.decode()
    assert reverse("member_list") not in body and reverse("dispositif_list") not in body


@pytest.mark.django_db
def test_dashboard_counts_come_from_the_organisation(client, admin_a, dispositif_a):
    client.force_login(admin_a.user)
    response = client.get(reverse("dashboard"))
    counts = {card.label: card.value for card in shown(response, "counts")}
    assert counts["Dispositifs actifs"] == 1
    assert counts["Places"] == dispositif_a.places
    assert counts["Membres actifs de l’équipe"] == 4


@pytest.mark.django_db
def test_user_without_membership_sees_a_page_saying_so(client, org_a):
    client.force_login(UserFactory())
    response = client.get(reverse("dashboard"))
    assert response.status_code == 403
    assert "n’est rattaché à aucune organisation" in response.content.decode()


@pytest.mark.django_db
def test_deactivated_membership_loses_access(client, social_worker_a):
    social_worker_a.is_active = False
    social_worker_a.save()
    client.force_login(social_worker_a.user)
    assert client.get(reverse("dashboard")).status_code == 403


@pytest.mark.django_db
def test_logout_is_a_post_and_ends_the_session(client, admin_a):
    client.force_login(admin_a.user)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_link_that_sets_a_new_password(client, admin_a):
    client.post(reverse("password_reset"), {"email": admin_a.user.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/mot-de-passe/" in line)
    response = client.get(link.strip(), follow=True)
    assert "Choisissez votre mot de passe" in response.content.decode()
    form_url = response.redirect_chain[-1][0]
    weak = client.post(form_url, {"new_password1": "court", "new_password2": "court"})
    assert "au minimum 12 caractères" in weak.content.decode()
    client.post(
        form_url,
        {"new_password1": "un-nouveau-secret-2026", "new_password2": "un-nouveau-secret-2026"},
    )
    admin_a.user.refresh_from_db()
    assert admin_a.user.check_password("un-nouveau-secret-2026")


@pytest.mark.django_db
def test_member_of_two_organisations_switches_explicitly(client, org_a, org_b):
    person = UserFactory(email="double@exemple.fr")
    MembershipFactory(organisation=org_a, user=person, role=Role.HEAD)
    MembershipFactory(organisation=org_b, user=person, role=Role.SOCIAL_WORKER)
    client.force_login(person)
    assert "Association Alpha" in client.get(reverse("dashboard")).content.decode()

    response = client.post(
        reverse("organisation_switch"), {"organisation": str(org_b.public_id)}, follow=True
    )
    body = response.content.decode()
    assert "Vous travaillez maintenant pour Association Bêta" in body
    assert response.context["current_membership"].role == Role.SOCIAL_WORKER


@pytest.mark.django_db
def test_switching_to_an_organisation_one_does_not_belong_to_is_refused(client, admin_a, org_b):
    client.force_login(admin_a.user)
    response = client.post(
        reverse("organisation_switch"), {"organisation": str(org_b.public_id)}, follow=True
    )
    assert "Vous ne faites pas partie de cette organisation." in response.content.decode()
    assert response.context["current_organisation"].slug == "alpha"


@pytest.mark.django_db
def test_not_found_page_is_in_french(client, admin_a):
    client.force_login(admin_a.user)
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.django_db
def test_django_admin_is_for_platform_superusers_only(client, admin_a):
    client.force_login(admin_a.user)
    assert client.get("/admin/").status_code == 302
    superuser = UserFactory(email="plateforme@exemple.fr", is_superuser=True, is_staff=True)
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/iml/organisation/").status_code == 200
    assert client.get("/admin/iml/user/add/").status_code == 200
    # Operators' data are not in the platform admin (and row-level security hides them).
    assert client.get("/admin/iml/dispositif/").status_code == 404
