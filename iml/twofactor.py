"""Two-factor authentication (TOTP with django-otp) and recovery codes.

Required for heads of service and admins (any of their memberships), and for everyone in an
organisation that asks for it; optional otherwise. Whoever has set it up must use it.
"""

from __future__ import annotations

import secrets
import time
import uuid
from functools import partial

import segno
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest
from django_otp import devices_for_user, match_token, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from iml import dataversion
from iml.models import Role, User

RECOVERY_CODES = 10
TOTP_NAME = "Application d’authentification"
RECOVERY_NAME = "Codes de secours"
# When this session last passed the second factor (seconds since the epoch): the most
# sensitive acts ask for a fresh one (``verified_within``).
VERIFIED_AT_SESSION_KEY = "iml_two_factor_verified_at"


def two_factor_required(request: HttpRequest) -> bool:
    """Heads and admins, every member of an organisation that asks for it, and every
    funder's agent (they read every operator's report of their territory)."""
    if getattr(request, "funder_agent", None) is not None:
        return True
    memberships = getattr(request, "memberships", [])
    return any(
        m.role in (Role.HEAD, Role.ADMIN) or m.organisation.require_two_factor for m in memberships
    )


def needs_verification(request: HttpRequest) -> str | None:
    """``"verify"`` or ``"setup"`` when the user must pass the second factor first."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return None
    if user_has_device(user, confirmed=True):
        return "verify"
    if two_factor_required(request):
        return "setup"
    return None


def pending_totp_device(user: User) -> TOTPDevice:
    """The device being set up (not confirmed yet), created on first need."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def qr_code_svg_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URI as an SVG QR code, embeddable as an image (no script, no CDN)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


@transaction.atomic
def confirm_totp(*, request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a first code; returns fresh recovery codes, or None if wrong."""
    if not device.verify_token(token.replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    mark_verified(request)
    return new_recovery_codes(device.user)


@transaction.atomic
def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes (single use each) and return them, shown once."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [f"{code[:4]} {code[4:]}" for code in codes]


def verify(request: HttpRequest, token: str) -> bool:
    """Check a TOTP or recovery code and mark the session as verified."""
    device = match_token(request.user, token.replace(" ", "").strip())
    if device is None:
        return False
    otp_login(request, device)
    mark_verified(request)
    return True


def mark_verified(request: HttpRequest) -> None:
    request.session[VERIFIED_AT_SESSION_KEY] = int(time.time())


def verified_within(request: HttpRequest, seconds: int) -> bool:
    """Whether this session passed the second factor less than ``seconds`` ago."""
    at = request.session.get(VERIFIED_AT_SESSION_KEY)
    return request.user.is_verified() and isinstance(at, int) and 0 <= time.time() - at <= seconds


@transaction.atomic
def disable(user: User) -> None:
    for device in devices_for_user(user, confirmed=None):
        device.delete()


@transaction.atomic
def logout_everywhere(request: HttpRequest) -> None:
    """End every session of the user, this one included."""
    user = request.user
    User.objects.filter(pk=user.pk).update(session_token=uuid.uuid4())
    # An update sends no signal: the cached user (iml.auth) is retired here.
    dataversion.forget_identity(user.pk)
    transaction.on_commit(partial(dataversion.forget_identity, user.pk))
    logout(request)
