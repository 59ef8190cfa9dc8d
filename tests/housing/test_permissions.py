"""Who may open which housing screen: every URL, every role, and another organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from housing import urls
from iml.models import Role

# Screens social workers read; every other screen is a write (or a manager's tool).
READ_SCREENS = {"unit_list", "unit_detail"}
POST_ONLY = {"prospect_move"}
URLS = [(p.name, list(p.pattern.converters)) for p in urls.urlpatterns]


def url_of(name, kwargs, objects):
    return reverse(f"housing:{name}", kwargs={k: objects[k] for k in kwargs})


def test_the_matrix_covers_every_housing_url():
    assert {name for name, _ in URLS} >= READ_SCREENS | POST_ONLY
    assert len(URLS) == 17


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "kwargs"), URLS, ids=[name for name, _ in URLS])
def test_roles(client, members_a, objects_a, name, kwargs):
    url = url_of(name, kwargs, objects_a)
    method = "post" if name in POST_ONLY else "get"
    for role in Role:
        client.force_login(members_a[role].user)
        status = getattr(client, method)(url).status_code
        if role == Role.ADMIN:
            expected = {403}
        elif role == Role.SOCIAL_WORKER:
            expected = {200} if name in READ_SCREENS else {403}
        else:  # régisseur and head manage the stock
            expected = {302} if name in POST_ONLY else {200}
        assert status in expected, f"{method.upper()} {name} as {role}: {status}"
        if name not in READ_SCREENS and name not in POST_ONLY:
            post_status = client.post(url).status_code
            if role in (Role.ADMIN, Role.SOCIAL_WORKER):
                assert post_status == 403, f"POST {name} as {role}: {post_status}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "kwargs"), [(n, k) for n, k in URLS if k], ids=[n for n, k in URLS if k]
)
def test_another_organisation_gets_404_on_a_objects(client, members_b, objects_a, name, kwargs):
    url = url_of(name, kwargs, objects_a)
    for role in (Role.REGISSEUR, Role.HEAD):
        client.force_login(members_b[role].user)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            expected = {404, 405} if method == "get" and name in POST_ONLY else {404}
            assert response.status_code in expected, f"{method} {name} as {role} of B"


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(client, objects_a):
    for name, kwargs in URLS:
        response = client.get(url_of(name, kwargs, objects_a))
        assert response.status_code in (302, 405)
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("login"))
