"""The login lockout counts an account's failures whatever the spelling of its e-mail.

django-axes used to count failures on the e-mail as typed while the login ignored letter case:
each spelling of a locked address (``Ts@``, ``tS@``, ``TS@``…) got five more guesses, and the
right password with any of them logged in. The e-mail is now normalised once (surrounding
spaces, letter case) for the login, the lookup of the account and the lockout.
"""

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADDRESS = "ts@apremis.example"
SPELLINGS = [
    "ts@apremis.example",
    "Ts@apremis.example",
    "tS@aPremis.example",
    "TS@APREMIS.EXAMPLE",
    "  ts@apremis.example  ",
    "\tTs@Apremis.Example ",
]


@pytest.fixture
def account(org_a):
    from tests.factories import MembershipFactory

    return MembershipFactory(organisation=org_a, user__email=ADDRESS).user


def attempt(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_of_the_address_logs_in(client, account, spelling):
    response = attempt(client, spelling, TEST_PASSWORD)
    assert response.status_code == 302 and logged_in(client)
    assert int(client.session["_auth_user_id"]) == account.pk


@pytest.mark.parametrize("locked_with", SPELLINGS)
def test_five_failures_with_one_spelling_lock_every_spelling(client, account, locked_with):
    for _ in range(5):
        assert attempt(client, locked_with, "mauvais mot de passe").status_code in (200, 429)
    assert not logged_in(client)
    for spelling in SPELLINGS:
        # More guesses with another spelling are refused without being tried...
        wrong = attempt(client, spelling, "encore un mauvais mot de passe")
        assert wrong.status_code == 429, spelling
        # ...and so is the right password, while the lockout lasts.
        right = attempt(client, spelling, TEST_PASSWORD)
        assert right.status_code == 429, spelling
        assert "Connexion temporairement bloquée" in right.content.decode()
        assert not logged_in(client)
    # One counter, under the normalised address: no spelling started a counter of its own.
    assert list(AccessAttempt.objects.values_list("username", flat=True).distinct()) == [ADDRESS]


def test_failures_with_several_spellings_add_up(client, account):
    for spelling in SPELLINGS[1:6]:
        attempt(client, spelling, "mauvais mot de passe")
    assert attempt(client, SPELLINGS[0], TEST_PASSWORD).status_code == 429
    assert not logged_in(client)


def test_a_successful_login_clears_the_counter_of_every_spelling(client, account):
    for _ in range(4):
        attempt(client, "TS@apremis.example", "mauvais mot de passe")
    assert attempt(client, " ts@Apremis.example", TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        attempt(client, "tS@apremis.example", "mauvais mot de passe")
    # 4 failures since the success: not locked.
    assert attempt(client, "Ts@apremis.example", TEST_PASSWORD).status_code == 302


def test_another_account_is_not_locked(client, account, org_a):
    for _ in range(5):
        attempt(client, "TS@apremis.example", "mauvais mot de passe")
    other = UserFactory(email="regisseur@apremis.example")
    assert attempt(client, "Regisseur@Apremis.example", TEST_PASSWORD).status_code == 302
    assert int(client.session["_auth_user_id"]) == other.pk


def test_password_reset_finds_the_account_whatever_the_spelling(client, account):
    from django.core import mail

    client.post(reverse("password_reset"), {"email": "  Ts@APREMIS.example "})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [ADDRESS]


# --- One spelling in the database -----------------------------------------------------------


def test_addresses_are_stored_normalised_whatever_writes_them(db):
    from django.db import IntegrityError, transaction

    from iml.models import User

    user = User(email="  Marie.Curie@Exemple.FR ")
    user.set_unusable_password()
    user.save()
    assert User.objects.get(pk=user.pk).email == "marie.curie@exemple.fr"
    # What bypasses the model (an update, raw SQL) is refused by the database.
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email="Marie.Curie@exemple.fr")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(email=" marie.curie@exemple.fr")


def test_the_migration_stops_on_addresses_that_collide_once_normalised():
    import importlib

    migration = importlib.import_module("iml.migrations.0007_user_email_normalised_invitation")
    rows = [(1, "Anne@Exemple.fr"), (2, "anne@exemple.fr "), (3, "paul@exemple.fr"),
            (4, " ANNE@EXEMPLE.FR")]  # fmt: skip
    assert migration.duplicate_accounts(rows) == {"anne@exemple.fr": [1, 2, 4]}

    class Users:
        class objects:  # stands for a model's manager
            @staticmethod
            def values_list(*fields):
                return rows

    class Apps:
        @staticmethod
        def get_model(app, name):
            return Users

    with pytest.raises(RuntimeError, match=r"comptes n° 1, 2, 4.*manage.py migrate"):
        migration.normalise_user_emails(Apps, None)
