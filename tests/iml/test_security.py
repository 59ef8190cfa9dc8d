"""Accounts and sessions: second factor, lockout, sessions, Content-Security-Policy."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from iml.models import Organisation, Role
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.real_two_factor]


def password_login(client, user, password=TEST_PASSWORD):
    return client.post(
        reverse("login"), {"username": user.email, "password": password}, follow=True
    )


def set_up_totp(client, user) -> tuple[TOTPDevice, list[str]]:
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("two_factor_setup"), {"token": totp(device.bin_key)})
    device.refresh_from_db()
    return device, response.context["codes"]


class TestSecondFactor:
    def test_head_must_set_it_up_before_anything(self, client, head_a):
        response = password_login(client, head_a.user)
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
        body = response.content.decode()
        assert "Votre rôle l’exige" in body and 'src="data:image/svg+xml' in body
        assert client.get(reverse("households:household_list")).status_code == 302

        device, codes = set_up_totp(client, head_a.user)
        assert device.confirmed and len(codes) == 10
        assert client.get(reverse("dashboard")).status_code == 200

    def test_wrong_code_at_setup_is_refused_in_french(self, client, head_a):
        password_login(client, head_a.user)
        response = client.post(reverse("two_factor_setup"), {"token": "000000"})
        assert "Code incorrect" in response.content.decode()
        assert not TOTPDevice.objects.filter(user=head_a.user, confirmed=True).exists()

    def test_next_login_asks_the_code_and_accepts_a_recovery_code_once(self, client, head_a):
        password_login(client, head_a.user)
        _, codes = set_up_totp(client, head_a.user)
        client.post(reverse("logout"))

        response = password_login(client, head_a.user)
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))
        ok = client.post(reverse("two_factor_verify"), {"token": codes[0]}, follow=True)
        assert ok.redirect_chain[-1][0] == "/"
        client.post(reverse("logout"))

        password_login(client, head_a.user)
        reused = client.post(reverse("two_factor_verify"), {"token": codes[0]})
        assert "Code incorrect" in reused.content.decode()

    @pytest.mark.parametrize(
        "target", ["tableau", "//evil.example/", "https://evil.example/", '"><img src=x>']
    )
    def test_next_after_verification_stays_on_the_site(self, client, head_a, target):
        password_login(client, head_a.user)
        set_up_totp(client, head_a.user)
        response = client.get(reverse("two_factor_verify"), {"next": target})
        assert response.status_code == 302 and response.url == "/"

    def test_wrong_code_is_refused(self, client, head_a):
        password_login(client, head_a.user)
        set_up_totp(client, head_a.user)
        client.post(reverse("logout"))
        password_login(client, head_a.user)
        wrong = client.post(reverse("two_factor_verify"), {"token": "123456"})
        assert "Code incorrect ou expiré" in wrong.content.decode()
        assert client.get(reverse("dashboard")).status_code == 302

    def test_optional_for_social_workers_unless_the_organisation_requires_it(
        self, client, social_worker_a, org_a
    ):
        response = password_login(client, social_worker_a.user)
        assert response.redirect_chain[-1][0] == reverse("dashboard")
        Organisation.objects.filter(pk=org_a.pk).update(require_two_factor=True)
        assert client.get(reverse("dashboard")).url.startswith(reverse("two_factor_setup"))

    def test_who_set_it_up_must_use_it(self, client, social_worker_a):
        password_login(client, social_worker_a.user)
        set_up_totp(client, social_worker_a.user)
        client.post(reverse("logout"))
        response = password_login(client, social_worker_a.user)
        assert response.redirect_chain[-1][0].startswith(reverse("two_factor_verify"))

    def test_required_factor_cannot_be_disabled_optional_one_can(
        self, client, head_a, social_worker_a
    ):
        password_login(client, head_a.user)
        set_up_totp(client, head_a.user)
        client.post(reverse("two_factor_disable"))
        assert TOTPDevice.objects.filter(user=head_a.user).exists()

        other = Client()
        password_login(other, social_worker_a.user)
        set_up_totp(other, social_worker_a.user)
        other.post(reverse("two_factor_disable"))
        assert not TOTPDevice.objects.filter(user=social_worker_a.user).exists()

    def test_admin_requires_it_for_everyone(self, client, admin_a, org_a):
        password_login(client, admin_a.user)
        set_up_totp(client, admin_a.user)
        client.post(
            reverse("organisation_settings"),
            {
                "require_two_factor": "on",
                "retention_identity_years": 3,
                "retention_ledger_years": 10,
            },
        )
        org_a.refresh_from_db()
        assert org_a.require_two_factor and org_a.retention_identity_years == 3

    def test_retention_settings_are_bounded(self, client, admin_a, org_a):
        password_login(client, admin_a.user)
        set_up_totp(client, admin_a.user)
        response = client.post(
            reverse("organisation_settings"),
            {"retention_identity_years": 0, "retention_ledger_years": 2},
        )
        assert response.status_code == 200
        org_a.refresh_from_db()
        assert org_a.retention_identity_years == 2

    def test_only_admins_change_the_organisation_rule(self, client, members_a):
        password_login(client, members_a[Role.SOCIAL_WORKER].user)
        assert client.get(reverse("organisation_settings")).status_code == 403


class TestSessions:
    def test_lockout_after_five_failures_even_with_the_right_password(
        self, client, social_worker_a, members_a
    ):
        for _ in range(5):
            password_login(client, social_worker_a.user, password="mauvais mot de passe")
        response = password_login(client, social_worker_a.user)
        assert response.status_code == 429
        assert "Connexion temporairement bloquée" in response.content.decode()
        assert "_auth_user_id" not in client.session
        # Another account from the same address is not locked out.
        assert password_login(client, members_a[Role.REGISSEUR].user).status_code == 200

    def test_session_key_changes_at_login(self, client, social_worker_a):
        client.get(reverse("login"))
        client.session.save()
        before = client.session.session_key
        password_login(client, social_worker_a.user)
        assert client.session.session_key != before

    def test_logout_everywhere_ends_every_session(self, social_worker_a):
        laptop, phone = Client(), Client()
        password_login(laptop, social_worker_a.user)
        password_login(phone, social_worker_a.user)
        assert phone.get(reverse("dashboard")).status_code == 200
        laptop.post(reverse("logout_everywhere"))
        assert phone.get(reverse("dashboard")).status_code == 302
        assert laptop.get(reverse("dashboard")).status_code == 302
        # A new login works.
        assert password_login(phone, social_worker_a.user).status_code == 200

    def test_inactivity_timeout_is_thirty_minutes(self):
        assert settings.SESSION_COOKIE_AGE == 30 * 60
        assert settings.SESSION_SAVE_EVERY_REQUEST


class TestContentSecurityPolicy:
    def test_header_forbids_inline_code(self, client):
        policy = client.get(reverse("login"))["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy

    def test_no_template_has_inline_script_handler_or_style(self):
        inline = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+=|\sstyle=|<style", re.I)
        templates = Path(settings.BASE_DIR, "templates")
        offenders = [
            str(path)
            for path in templates.rglob("*.html")
            # documents/ are rendered to PDF by WeasyPrint, never served to a browser.
            if not path.is_relative_to(templates / "documents") and inline.search(path.read_text())
        ]
        assert offenders == []
