import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from iml.models import Membership, Role, User
from iml.rls import user_context
from iml.scoping import organisation_context
from tests.conftest import enqueued
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def admin_client(client, admin_a):
    client.force_login(admin_a.user)
    return client


@pytest.mark.django_db
def test_admin_invites_a_new_person_who_receives_a_link(
    admin_client, org_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("member_invite"),
            {
                "email": "Nouvelle.Personne@Exemple.fr",
                "first_name": "Inès",
                "last_name": "Martin",
                "role": Role.REGISSEUR,
            },
            follow=True,
        )
    assert "Invitation envoyée à nouvelle.personne@exemple.fr" in response.content.decode()
    user = User.objects.get(email="nouvelle.personne@exemple.fr")
    assert not user.has_usable_password()
    membership = Membership.all_organisations.get(user=user)
    assert membership.organisation == org_a and membership.role == Role.REGISSEUR
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle.personne@exemple.fr"]
    assert "Association Alpha" in message.subject
    assert "/mot-de-passe/nouveau/" in message.body
    assert "Régisseur·se social·e" in message.body


@pytest.mark.django_db
def test_inviting_a_person_of_another_organisation_asks_them_first(
    admin_client, members_b, django_capture_on_commit_callbacks
):
    """The account is reused, but its owner is asked: until they accept, the organisation has
    no membership and its team page shows the address alone (tests/iml/test_invitations.py)."""
    other = members_b[Role.HEAD].user
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("member_invite"),
            {"email": other.email, "first_name": "x", "last_name": "y", "role": Role.HEAD},
        )
    assert User.objects.filter(email=other.email).count() == 1
    with organisation_context(None), user_context(other.pk):
        assert Membership.all_organisations.filter(user=other).count() == 1
    team = admin_client.get(reverse("member_list")).content.decode()
    assert other.email in team and "invitation en attente" in team
    assert other.last_name not in team
    assert "Vous avez déjà un compte" in mail.outbox[0].body


@pytest.mark.django_db
def test_invitation_links_use_the_address_the_site_is_served_on(
    admin_client, members_b, django_capture_on_commit_callbacks, settings
):
    """``make run`` may serve another port than SITE_URL's: links follow the request."""
    settings.SITE_URL = "http://127.0.0.1:8000"
    for email in ("recrue@exemple.fr", members_b[Role.HEAD].user.email):
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(
                reverse("member_invite"),
                {"email": email, "first_name": "Awa", "last_name": "Sy", "role": Role.HEAD},
                HTTP_HOST="127.0.0.1:8123",
            )
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        links = [word for word in message.body.split() if word.startswith("http")]
        assert links and all(link.startswith("http://127.0.0.1:8123/") for link in links)


@pytest.mark.django_db
def test_inviting_an_existing_member_is_refused_and_writes_nothing(
    admin_client, social_worker_a, django_capture_on_commit_callbacks
):
    count = Membership.all_organisations.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            reverse("member_invite"),
            {
                "email": social_worker_a.user.email,
                "first_name": "x",
                "last_name": "y",
                "role": Role.HEAD,
            },
        )
    assert enqueued(callbacks) == []
    assert "fait déjà partie de l’équipe" in response.content.decode()
    assert Membership.all_organisations.count() == count
    assert mail.outbox == []


@pytest.mark.django_db
def test_invalid_invitation_keeps_what_was_typed(admin_client):
    response = admin_client.post(
        reverse("member_invite"),
        {"email": "pas-une-adresse", "first_name": "Inès-Zélie", "last_name": "", "role": "chef"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Saisissez une adresse de courriel valide" in body
    assert 'value="Inès-Zélie"' in body
    assert not User.objects.filter(first_name="Inès-Zélie").exists()


@pytest.mark.django_db
def test_admin_changes_a_role(admin_client, social_worker_a):
    admin_client.post(reverse("member_edit", args=[social_worker_a.public_id]), {"role": Role.HEAD})
    social_worker_a.refresh_from_db()
    assert social_worker_a.role == Role.HEAD


@pytest.mark.django_db
def test_the_last_admin_cannot_lose_the_role(admin_client, admin_a):
    response = admin_client.post(
        reverse("member_edit", args=[admin_a.public_id]), {"role": Role.HEAD}
    )
    assert "au moins un·e administrateur·rice" in response.content.decode()
    admin_a.refresh_from_db()
    assert admin_a.role == Role.ADMIN


@pytest.mark.django_db
def test_deactivate_and_reactivate_a_member(admin_client, social_worker_a):
    admin_client.post(reverse("member_deactivate", args=[social_worker_a.public_id]))
    social_worker_a.refresh_from_db()
    assert not social_worker_a.is_active
    admin_client.post(reverse("member_reactivate", args=[social_worker_a.public_id]))
    social_worker_a.refresh_from_db()
    assert social_worker_a.is_active


@pytest.mark.django_db
def test_an_admin_cannot_deactivate_themself(admin_client, admin_a):
    response = admin_client.post(
        reverse("member_deactivate", args=[admin_a.public_id]), follow=True
    )
    assert "votre propre accès" in response.content.decode()
    admin_a.refresh_from_db()
    assert admin_a.is_active


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.REGISSEUR, Role.HEAD])
def test_only_admins_manage_the_team(client, members_a, role):
    client.force_login(members_a[role].user)
    target = members_a[Role.SOCIAL_WORKER]
    assert client.get(reverse("member_list")).status_code == 403
    assert client.get(reverse("member_invite")).status_code == 403
    assert client.post(reverse("member_deactivate", args=[target.public_id])).status_code == 403
    target.refresh_from_db()
    assert target.is_active


@pytest.mark.django_db
def test_member_list_is_paginated_with_a_constant_number_of_queries(
    admin_client, org_a, admin_a, django_assert_max_num_queries
):
    MembershipFactory.create_batch(30, organisation=org_a)
    invite_pending(org_a, 3)
    with django_assert_max_num_queries(13):
        first = admin_client.get(reverse("member_list"))
    assert len(first.context["page"].object_list) == 25
    MembershipFactory.create_batch(30, organisation=org_a)
    invite_pending(org_a, 10)
    with django_assert_max_num_queries(13):
        second = admin_client.get(reverse("member_list") + "?page=3")
    assert "Page 3 sur 3" in second.content.decode()


def invite_pending(organisation, count: int) -> None:
    from iml.models import Invitation
    from iml.rls import organisation_transaction

    with organisation_transaction(organisation):
        start = Invitation.objects.count()
        for n in range(start, start + count):
            Invitation.objects.create(email=f"attente{n}@exemple.fr", role=Role.HEAD)


@pytest.mark.django_db
def test_user_accounts_are_case_insensitively_unique(db):
    UserFactory(email="marie@exemple.fr")
    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="MARIE@exemple.fr").save()  # bypasses the manager's lower-casing
