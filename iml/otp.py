"""The second-factor middleware: django-otp's, with the session's device read from the cache.

django-otp looks the verified device up on every request (a query). The device changes only
when the user sets up, uses or removes a second factor; each of those saves or deletes it,
and those signals retire the user's identity token (``forget_device``), under which the
device is cached.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware

from iml import dataversion


class CachedOTPMiddleware(OTPMiddleware):
    def _verify_user_sync(self, request: HttpRequest, user: Any) -> Any:
        if not settings.IML_AGGREGATE_CACHE or not user.is_authenticated:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        device = None
        if persistent_id:
            key = f"otp:{user.pk}:{dataversion.identity_token(user.pk)}:{persistent_id}"
            device = cache.get(key)
            if device is None:
                device = self._device_from_persistent_id(persistent_id)
                if device is not None:
                    cache.set(key, device, dataversion.TIMEOUT)
        user.otp_device = self._finalize_device(request, user, device)
        return user


def forget_device(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A device saved (confirmed, used: its counters) or deleted: retired now and at commit."""
    dataversion.forget_identity(instance.user_id)
    transaction.on_commit(partial(dataversion.forget_identity, instance.user_id))
