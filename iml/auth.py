"""The authentication backend: Django's, with the user of every request read from the cache.

``AuthenticationMiddleware`` loads the session's user on every request; the row changes rarely
(login, password, "log out everywhere", deactivation), and each change goes through a save
that retires the user's identity token (``iml.middleware.forget_user``), or calls
``dataversion.forget_identity`` itself. The session's hash check still runs on the loaded
user, so a changed password or session token ends the other sessions at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from iml import dataversion


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        if not settings.IML_AGGREGATE_CACHE:
            return super().get_user(user_id)
        key = f"user:{user_id}:{dataversion.identity_token(user_id)}"
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, dataversion.TIMEOUT)
        return user
