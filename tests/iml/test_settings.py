import pytest
from django.conf import settings
from django.urls import reverse

from iml.settings import _kombu_url


def test_unix_socket_urls_are_translated_for_celery():
    assert (
        _kombu_url("unix:///srv/redis.sock?db=3") == "redis+socket:///srv/redis.sock?virtual_host=3"
    )
    assert _kombu_url("unix:///srv/redis.sock") == "redis+socket:///srv/redis.sock?virtual_host=0"


def test_tcp_urls_are_kept():
    assert _kombu_url("redis://cache:6379/0") == "redis://cache:6379/0"


# --- Production: cookies and headers on real responses ---------------------------------------

# Run in a child process: the settings module reads IML_ENV once, at import. The child serves
# real requests (Django's test client, through every middleware) from the test database.
PRODUCTION_PROBE = r"""
import json

import iml.settings as production

# The image collects static files at build time (Dockerfile); this checkout has not, so the
# pages' {% static %} read the source folders. Nothing else of the production settings moves.
production.STORAGES["staticfiles"] = {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

import django

django.setup()

from django.test import Client

from iml.models import User

PASSWORD = "un-mot-de-passe-de-production"
User.objects.create_user("production@exemple.fr", PASSWORD)


def seen(response):
    return {
        "status": response.status_code,
        "location": response.get("Location", ""),
        "headers": dict(response.headers),
        "cookies": {
            name: {
                "secure": bool(morsel["secure"]),
                "httponly": bool(morsel["httponly"]),
                "samesite": morsel["samesite"],
            }
            for name, morsel in response.cookies.items()
        },
    }


client = Client(HTTP_HOST="iml.example.org")
results = {
    "http": seen(client.get("/connexion/")),
    "login_page": seen(client.get("/connexion/", secure=True)),
    "login": seen(
        client.post(
            "/connexion/",
            {"username": "production@exemple.fr", "password": PASSWORD},
            secure=True,
        )
    ),
    "page": seen(client.get("/", secure=True)),
}
print(json.dumps(results))
"""

# What every page sends today, production or not (tests/iml/test_security.py checks the
# policy itself).
SECURITY_HEADERS = [
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
]


def _production_responses() -> dict:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    db = connection.settings_dict
    host = db["HOST"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "IML_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "iml.settings",
        "SECRET_KEY": "a" * 20 + "-production-secret-for-the-probe-" + "z" * 20,
        "ALLOWED_HOSTS": "iml.example.org",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={host}"
            if host.startswith("/")
            else f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT']}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "LOG_LEVEL": "ERROR",
    }
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _value(header: str | None) -> set[str] | None:
    """A header's directives: django-csp writes the policy's in no fixed order."""
    return None if header is None else {part.strip() for part in header.split(";")}


@pytest.mark.django_db(transaction=True)
def test_production_sends_secure_cookies_hsts_and_the_security_headers(client):
    seen = _production_responses()

    # Plain HTTP is sent to HTTPS.
    assert seen["http"]["status"] == 301
    assert seen["http"]["location"] == "https://iml.example.org/connexion/"

    # The login page sets the CSRF cookie, the login the session cookie: HTTPS only, out of
    # scripts' reach, not sent by other sites' forms.
    csrf = seen["login_page"]["cookies"]["csrftoken"]
    assert csrf == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["login"]["status"] == 302
    session = seen["login"]["cookies"]["sessionid"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["login"]["cookies"]["csrftoken"]["secure"]  # rotated at login

    # HSTS for a year, subdomains included, on every HTTPS response.
    today = client.get(reverse("login"))
    for name in ("login_page", "login", "page"):
        headers = seen[name]["headers"]
        assert headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains; preload"
        ), name
        # And the security headers of today, with the same values.
        for header in SECURITY_HEADERS:
            assert _value(headers.get(header)) == _value(today[header]), (name, header)
    assert seen["page"]["status"] == 403  # no organisation: a real page, all the same


def test_outside_production_cookies_stay_usable_over_http():
    """Development serves plain HTTP: Secure cookies would never come back."""
    assert not settings.SESSION_COOKIE_SECURE and not settings.CSRF_COOKIE_SECURE
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY
