"""Shared fixtures: the test database under row-level security, and two organisations (A and
B) with a member of each role in each. A test that uses ``org_a`` runs as organisation A."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from iml.models import Role
from iml.scoping import organisation_context
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory


@pytest.fixture(scope="session", autouse=True)
def _empty_papers_storage():
    """The papers the tests write go to a folder of this test process (iml/settings_test.py):
    emptied at the start, so that a run never sees the files of an earlier one."""
    import shutil

    location = settings.STORAGES["papers"].get("OPTIONS", {}).get("location", "")
    if "test-papers" in location:
        shutil.rmtree(location, ignore_errors=True)


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's setup, with the database created and migrated by the owner role; the
    tests then connect as the application role, as production does."""
    from django.test.utils import setup_databases, teardown_databases

    from iml.rls import as_owner

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock(), as_owner():
        db_cfg = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                 keepdb=keepdb)  # fmt: skip
    yield
    if not keepdb:
        with django_db_blocker.unblock(), as_owner():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture
def org_a(db):
    """Organisation A, and the test runs as A (scoping context and row-level security), as
    a request of one of A's members would."""
    organisation = OrganisationFactory(name="Association Alpha", slug="alpha")
    with organisation_context(organisation):
        yield organisation


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Association Bêta", slug="beta", departement="80")


def _members(organisation, prefix: str) -> dict[str, object]:
    return {
        role.value: MembershipFactory(
            organisation=organisation,
            role=role,
            user__email=f"{role.value}@{prefix}.example",
        )
        for role in Role
    }


@pytest.fixture
def members_a(org_a):
    return _members(org_a, "alpha")


@pytest.fixture
def members_b(org_b):
    return _members(org_b, "beta")


@pytest.fixture
def admin_a(members_a):
    return members_a[Role.ADMIN]


@pytest.fixture
def head_a(members_a):
    return members_a[Role.HEAD]


@pytest.fixture
def social_worker_a(members_a):
    return members_a[Role.SOCIAL_WORKER]


@pytest.fixture
def dispositif_a(org_a):
    return DispositifFactory(organisation=org_a, code="IML-A", name="Dispositif Alpha")


@pytest.fixture
def as_org_a(org_a):
    """Run the test body as organisation A (what the middleware does for a request)."""
    with organisation_context(org_a):
        yield org_a


def enqueued(callbacks: list) -> list:
    """The on-commit callbacks but the retiring of cached aggregates and identities
    (``iml.dataversion``, registered by every write request and every save of a user or a
    membership): the tasks a request queued, say."""
    from iml import dataversion

    retiring = (dataversion.touch, dataversion.forget_identity, dataversion.forget_all)
    return [c for c in callbacks if getattr(c, "func", c) not in retiring]


def login(client, membership):
    client.force_login(membership.user)
    return client


def _counting_queries(config, number: int, *, exact: bool, info=None):
    """pytest-django's query counter, less the row-level security ``set_config`` statements:
    the counts are about what the code asks the database, which the setting does not change
    (it costs one statement per transaction and savepoint level)."""
    from django.test.utils import CaptureQueriesContext

    @contextlib.contextmanager
    def counter():
        with CaptureQueriesContext(connection) as context:
            yield context
            queries = [q["sql"] for q in context.captured_queries if "set_config(" not in q["sql"]]
            performed = len(queries)
            failed = performed != number if exact else performed > number
            if failed:
                message = (
                    f"Expected {'' if exact else 'at most '}{number} queries, {performed} done"
                )
                if info:
                    message += f"\n{info}"
                pytest.fail(message + "\n\n" + "\n\n".join(queries))

    return counter()


@pytest.fixture
def django_assert_num_queries(pytestconfig):
    return lambda number, info=None: _counting_queries(pytestconfig, number, exact=True, info=info)


@pytest.fixture
def django_assert_max_num_queries(pytestconfig):
    return lambda number, info=None: _counting_queries(pytestconfig, number, exact=False, info=info)


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(request, monkeypatch):
    """``client.force_login`` stands for a completed login, second factor included.

    Tests of the two-factor flow itself are marked ``real_two_factor`` and log in for real.
    """
    if request.node.get_closest_marker("real_two_factor"):
        return
    from django.test import Client
    from django_otp.plugins.otp_static.models import StaticDevice

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        device, _ = StaticDevice.objects.get_or_create(
            user=user, name="tests", defaults={"confirmed": True}
        )
        session = self.session
        session["otp_device_id"] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def worker(tmp_path, transactional_db):
    """Start ``celery worker`` on the test queue, pointed at the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "iml.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@/{db['NAME']}?host={db['HOST']}"
        if db["HOST"].startswith("/")
        else f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        "IML_TEST_EMAIL_DIR": str(tmp_path),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "iml", "worker", "--pool", "solo",
         "--loglevel", "info", "--queues", settings.CELERY_TASK_DEFAULT_QUEUE,
         "--hostname", f"test-{os.getpid()}@%h", "--without-heartbeat", "--without-gossip",
         "--without-mingle"],
        cwd=Path(settings.BASE_DIR), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    from iml.celery import app

    app.conf.task_always_eager = False
    try:
        yield process
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        try:
            output, _ = process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(output)


def shown(response, name: str):
    """A value of a page's context as the template saw it: views hand the costly ones over
    ``iml.fragments.deferred`` (a callable the template calls)."""
    value = response.context[name]
    return value() if callable(value) and hasattr(value, "cache_info") else value
