"""Invitations: a person who already has an account joins a team only by accepting.

Before, an admin who typed the address of another organisation's user added that user to
their team at once, name included. Now the organisation sees the address alone, marked
« invitation en attente », until the person accepts from the link e-mailed to them; a new
person still gets the link to choose a password (their acceptance). Links point where the
site is served (the request), or to ``SITE_URL`` from a command.
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from iml import services
from iml.models import Invitation, InvitationStatus, Membership, Organisation, Role, User
from iml.rls import organisation_transaction, user_context
from iml.scoping import organisation_context
from tests.conftest import shown
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

JOINED: list[tuple[str, str]] = []


def record_joined(*, membership) -> None:
    """A MEMBER_JOINED_HOOKS entry for the tests: who joined which organisation, when."""
    JOINED.append((membership.organisation.slug, membership.user.email))


@pytest.fixture(autouse=True)
def joined(monkeypatch):
    JOINED.clear()
    monkeypatch.setattr(
        services,
        "MEMBER_JOINED_HOOKS",
        [*services.MEMBER_JOINED_HOOKS, f"{__name__}.record_joined"],
    )
    return JOINED


@pytest.fixture
def admin_client(client, admin_a):
    client.force_login(admin_a.user)
    return client


@pytest.fixture
def outsider(members_b):
    """B's social worker: an account the admin of A did not create.

    Named distinctly: a random surname could also be the name of one of A's members, and
    the page would then show it for a reason unrelated to the invitation.
    """
    user = members_b[Role.SOCIAL_WORKER].user
    user.first_name, user.last_name = "Ombeline", "Quastrevent"
    user.save(update_fields=["first_name", "last_name"])
    return user


def invite(client, email, role=Role.REGISSEUR, capture=None, **extra):
    data = {"email": email, "first_name": "Prénom", "last_name": "Saisi", "role": role}
    with capture(execute=True):
        return client.post(reverse("member_invite"), data, follow=True, **extra)


def links_in(message) -> list[str]:
    return re.findall(r"https?://\S+", message.body)


def accept_link(message) -> str:
    return next(link for link in links_in(message) if "/invitation/" in link)


def memberships_of(user) -> list[tuple[str, bool, str]]:
    """Every membership of ``user``, whatever the organisation (as the user sees them)."""
    with organisation_context(None), user_context(user.pk):
        return sorted(
            Membership.all_organisations.filter(user=user).values_list(
                "organisation__slug", "is_active", "role"
            )
        )


def path_of(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


# --- The issue: no membership, no name, before consent ---------------------------------------


def test_an_existing_account_is_invited_not_added(
    admin_client, outsider, joined, django_capture_on_commit_callbacks
):
    body = invite(
        admin_client, f"  {outsider.email.upper()} ", capture=django_capture_on_commit_callbacks
    ).content.decode()
    assert f"Invitation envoyée à {outsider.email}" in body
    # Not a member of A, and A's team page shows the address only, marked as pending.
    assert memberships_of(outsider) == [("beta", True, Role.SOCIAL_WORKER)]
    assert joined == []
    team = admin_client.get(reverse("member_list")).content.decode()
    assert outsider.email in team and "invitation en attente" in team
    assert outsider.last_name not in team and outsider.first_name not in team
    assert "Renvoyer" in team and "Annuler" in team
    assert Invitation.objects.get().email == outsider.email
    # The e-mail asks; it names nothing but what A typed and A itself.
    [message] = mail.outbox
    assert message.to == [outsider.email]
    assert "Vous avez déjà un compte" in message.body and "Association Alpha" in message.body
    assert "/invitation/" in message.body


def test_accepting_makes_the_person_a_member_then_and_only_then(
    admin_client, outsider, org_a, joined, django_capture_on_commit_callbacks
):
    invite(admin_client, outsider.email, role=Role.HEAD, capture=django_capture_on_commit_callbacks)
    link = path_of(accept_link(mail.outbox[0]))
    person = Client()
    # Not logged in: the login page first, then back to the invitation.
    response = person.get(link)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = person.post(
        response["Location"],
        {"username": outsider.email.upper(), "password": TEST_PASSWORD, "next": link},
    )
    assert response.status_code == 302 and response["Location"] == link
    page = person.get(link).content.decode()
    assert "Rejoindre Association Alpha" in page and "Chef·fe de service" in page
    assert joined == []

    response = person.post(link, {"decision": "accepter"}, follow=True)
    assert "Vous avez rejoint Association Alpha" in response.content.decode()
    assert response.context["current_organisation"] == org_a
    assert memberships_of(outsider) == [("alpha", True, Role.HEAD), ("beta", True, "social_worker")]
    assert joined == [("alpha", outsider.email)]
    invitation = Invitation.objects.get()
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.answered_at
    # The team now shows the person, and no pending invitation.
    team = admin_client.get(reverse("member_list")).content.decode()
    assert outsider.last_name in team and "invitation en attente" not in team
    # A second click lands on the team joined, and adds nothing.
    assert person.post(link, {"decision": "accepter"}).status_code == 302
    assert joined == [("alpha", outsider.email)]


def test_declining_leaves_no_trace_of_the_account(
    admin_client, outsider, joined, django_capture_on_commit_callbacks
):
    invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks)
    link = path_of(accept_link(mail.outbox[0]))
    person = Client()
    person.force_login(outsider)
    response = person.post(link, {"decision": "refuser"}, follow=True)
    assert "Invitation de Association Alpha refusée" in response.content.decode()
    assert memberships_of(outsider) == [("beta", True, Role.SOCIAL_WORKER)]
    assert joined == []
    assert Invitation.objects.get().status == InvitationStatus.DECLINED
    team = admin_client.get(reverse("member_list")).content.decode()
    assert outsider.email not in team
    # The link is spent.
    assert person.get(link).status_code == 404


def test_the_link_works_only_for_the_invited_account(
    admin_client, outsider, members_b, admin_a, django_capture_on_commit_callbacks
):
    invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks)
    link = path_of(accept_link(mail.outbox[0]))
    for someone in (members_b[Role.HEAD].user, admin_a.user, UserFactory()):
        other = Client()
        other.force_login(someone)
        for method in ("get", "post"):
            response = getattr(other, method)(link, {"decision": "accepter"})
            assert response.status_code == 404
            if someone != admin_a.user:  # A's own admin reads A's name in the page's header
                assert "Association Alpha" not in response.content.decode()
    assert memberships_of(outsider) == [("beta", True, Role.SOCIAL_WORKER)]
    assert Invitation.objects.get().status == InvitationStatus.PENDING


@pytest.mark.parametrize(
    "alter", [lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), lambda t: "x" + t]
)
def test_an_altered_link_is_a_404(
    admin_client, outsider, alter, django_capture_on_commit_callbacks
):
    invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks)
    token = path_of(accept_link(mail.outbox[0])).split("/")[2]
    person = Client()
    person.force_login(outsider)
    url = reverse("invitation_accept", kwargs={"invitation_token": alter(token)})
    assert person.post(url, {"decision": "accepter"}).status_code == 404
    assert memberships_of(outsider) == [("beta", True, Role.SOCIAL_WORKER)]


def test_resend_gives_a_new_link_and_cancel_ends_it(
    admin_client, outsider, django_capture_on_commit_callbacks
):
    invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks)
    first = path_of(accept_link(mail.outbox[0]))
    invitation = Invitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("invitation_resend", args=[invitation.public_id]), follow=True
        )
    assert f"Invitation renvoyée à {outsider.email}" in response.content.decode()
    assert len(mail.outbox) == 2
    second = path_of(accept_link(mail.outbox[1]))
    assert second != first
    person = Client()
    person.force_login(outsider)
    assert person.get(first).status_code == 404
    assert person.get(second).status_code == 200

    response = admin_client.post(
        reverse("invitation_cancel", args=[invitation.public_id]), follow=True
    )
    assert "annulée" in response.content.decode()
    assert outsider.email not in admin_client.get(reverse("member_list")).content.decode()
    assert person.post(second, {"decision": "accepter"}).status_code == 404
    assert memberships_of(outsider) == [("beta", True, Role.SOCIAL_WORKER)]
    # Neither can be done twice.
    for name in ("invitation_resend", "invitation_cancel"):
        assert admin_client.post(reverse(name, args=[invitation.public_id])).status_code == 404


def test_an_expired_link_is_refused_and_shown_so(
    admin_client, outsider, org_a, django_capture_on_commit_callbacks
):
    invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks)
    link = path_of(accept_link(mail.outbox[0]))
    Invitation.objects.update(sent_at=timezone.now() - datetime.timedelta(days=3, minutes=1))
    person = Client()
    person.force_login(outsider)
    assert person.post(link, {"decision": "accepter"}).status_code == 404
    assert "lien expiré" in admin_client.get(reverse("member_list")).content.decode()
    # Sent again, it works.
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("invitation_resend", args=[Invitation.objects.get().public_id]))
    person.post(path_of(accept_link(mail.outbox[-1])), {"decision": "accepter"})
    assert ("alpha", True, Role.REGISSEUR) in memberships_of(outsider)


def test_a_second_invitation_while_one_is_pending_is_refused(
    admin_client, outsider, django_capture_on_commit_callbacks
):
    invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks)
    response = invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks)
    assert "déjà en attente" in response.content.decode()
    assert Invitation.objects.count() == 1 and len(mail.outbox) == 1


def test_a_former_member_is_asked_again(
    admin_client, social_worker_a, joined, django_capture_on_commit_callbacks
):
    former = social_worker_a.user
    Membership.objects.filter(pk=social_worker_a.pk).update(is_active=False)
    invite(admin_client, former.email, role=Role.HEAD, capture=django_capture_on_commit_callbacks)
    social_worker_a.refresh_from_db()
    assert not social_worker_a.is_active and joined == []
    person = Client()
    person.force_login(former)
    person.post(path_of(accept_link(mail.outbox[0])), {"decision": "accepter"})
    social_worker_a.refresh_from_db()
    assert social_worker_a.is_active and social_worker_a.role == Role.HEAD
    assert joined == [("alpha", former.email)]


def test_an_account_without_password_gets_a_way_in_with_the_invitation(
    admin_client, org_b, django_capture_on_commit_callbacks
):
    # Invited by B, who created the account; the password is not chosen yet.
    with organisation_transaction(org_b):
        services.member_invite(
            organisation=org_b, email="nouvelle@exemple.fr", first_name="Awa", last_name="Sy",
            role=Role.SOCIAL_WORKER, invited_by=None,
        )  # fmt: skip
    invite(admin_client, "nouvelle@exemple.fr", capture=django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert any("/mot-de-passe/nouveau/" in link for link in links_in(message))
    assert any("/invitation/" in link for link in links_in(message))


@pytest.mark.real_two_factor
def test_who_must_pass_a_second_factor_passes_it_before_accepting(
    org_a, admin_a, members_b, django_capture_on_commit_callbacks
):
    head_b = members_b[Role.HEAD].user
    with django_capture_on_commit_callbacks(execute=True):
        services.member_invite(
            organisation=org_a, email=head_b.email, first_name="", last_name="",
            role=Role.SOCIAL_WORKER, invited_by=admin_a.user,
        )  # fmt: skip
    link = path_of(accept_link(mail.outbox[0]))
    person = Client()
    person.post(reverse("login"), {"username": head_b.email, "password": TEST_PASSWORD})
    response = person.post(link, {"decision": "accepter"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))
    assert not TOTPDevice.objects.filter(user=head_b, confirmed=True).exists()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


# --- A new person: the account and the membership at once, as before -----------------------


def test_a_new_person_joins_at_once_and_chooses_a_password(
    admin_client, org_a, joined, django_capture_on_commit_callbacks
):
    invite(admin_client, "Recrue@Exemple.fr", capture=django_capture_on_commit_callbacks)
    user = User.objects.get(email="recrue@exemple.fr")
    assert memberships_of(user) == [("alpha", True, Role.REGISSEUR)]
    assert joined == [("alpha", "recrue@exemple.fr")]
    assert not Invitation.objects.exists()
    [link] = links_in(mail.outbox[0])
    assert "/mot-de-passe/nouveau/" in link


# --- Where the links point ------------------------------------------------------------------


@override_settings(
    SITE_URL="http://127.0.0.1:8000", ALLOWED_HOSTS=["127.0.0.1", "testserver", "iml.example.org"]
)
def test_links_point_where_the_site_is_served(
    admin_client, outsider, django_capture_on_commit_callbacks
):
    served = {"SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8123", "HTTP_HOST": "127.0.0.1:8123"}
    invite(admin_client, "recrue@exemple.fr", capture=django_capture_on_commit_callbacks, **served)
    invite(admin_client, outsider.email, capture=django_capture_on_commit_callbacks, **served)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("invitation_resend", args=[Invitation.objects.get().public_id]),
            secure=True,
            HTTP_HOST="iml.example.org",
        )
    new_person, existing, resent = mail.outbox
    assert links_in(new_person)[0].startswith("http://127.0.0.1:8123/mot-de-passe/nouveau/")
    assert accept_link(existing).startswith("http://127.0.0.1:8123/invitation/")
    assert accept_link(resent).startswith("https://iml.example.org/invitation/")


def create_organisation(admin_email: str, capture) -> None:
    with capture(execute=True):
        call_command(
            "create_organisation", "--slug", "gamma", "--name", "Association Gamma",
            "--departement", "69", "--admin-email", admin_email, stdout=io.StringIO(),
        )  # fmt: skip


@override_settings(SITE_URL="https://iml.example.org")
def test_the_onboarding_command_uses_site_url(db, django_capture_on_commit_callbacks):
    create_organisation("Admin@Gamma.example", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.to == ["admin@gamma.example"]
    assert links_in(message)[0].startswith("https://iml.example.org/mot-de-passe/nouveau/")
    assert Organisation.objects.get(slug="gamma")


def test_an_existing_account_named_by_the_command_must_accept_too(
    db, org_b, members_b, django_capture_on_commit_callbacks
):
    create_organisation(members_b[Role.HEAD].user.email, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "Vous avez déjà un compte" in message.body
    assert memberships_of(members_b[Role.HEAD].user) == [("beta", True, Role.HEAD)]


def test_a_pending_invitation_is_no_member_anywhere(admin_client, outsider, org_a):
    """The count of members, the dashboard's cards and the team are memberships only."""
    MembershipFactory(organisation=org_a, role=Role.ADMIN)
    with organisation_transaction(org_a):
        Invitation.objects.create(organisation=org_a, email=outsider.email, role=Role.HEAD)
    response = admin_client.get(reverse("dashboard"))
    counts = {card.label: card.value for card in shown(response, "counts")}
    assert counts["Membres actifs de l’équipe"] == 5
