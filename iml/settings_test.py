"""Test settings: the base settings with small overrides, on the real PostgreSQL and Redis."""

import os

from iml.settings import *  # noqa: F403
from iml.settings import BASE_DIR, CACHES, DATABASES, STORAGES, env

DEBUG = False
# Fast hashing: tests create many users; production hashers are exercised by Django itself.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A queue of its own, so that a worker of `make run` on the same Redis never takes test tasks,
# nor the worker of another test process (xdist, another checkout) on another test database.
CELERY_TASK_DEFAULT_QUEUE = env.str(
    "CELERY_QUEUE",
    default="-".join(
        ["iml-test", env.str("IML_TEST_DB_NAME", default="db"),
         os.environ.get("PYTEST_XDIST_WORKER", "main")]
    ),
)  # fmt: skip
# A prefix per test process (xdist worker, checkout): one process retiring every cache token
# (``dataversion.forget_all``) must not retire another's in the middle of a test.
CACHES["default"]["KEY_PREFIX"] = "-".join(
    ["iml-test", env.str("IML_TEST_DB_NAME", default="db"),
     os.environ.get("PYTEST_XDIST_WORKER", "main")]
)  # fmt: skip
# Factories write without going through a request or a task: a cached aggregate would not
# see their rows. tests/iml/test_dataversion.py turns the cache on to test it.
IML_AGGREGATE_CACHE = False
SECURE_SSL_REDIRECT = False
# Tasks run in the test process unless a test starts a real worker (tests/iml/test_celery.py).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# A worker started by a test writes its e-mails where the test can read them.
if "IML_TEST_EMAIL_DIR" in env:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env.str("IML_TEST_EMAIL_DIR")
# Parallel runs on one server (several checkouts, or helpers) each need a test database.
if "IML_TEST_DB_NAME" in env:
    DATABASES["default"]["TEST"] = {"NAME": env.str("IML_TEST_DB_NAME")}
# Papers written by the tests: under .var/ too, a folder per test process.
if "location" in STORAGES["papers"].get("OPTIONS", {}):
    STORAGES["papers"]["OPTIONS"]["location"] = str(
        BASE_DIR / ".var" / "test-papers" / "-".join(
            [env.str("IML_TEST_DB_NAME", default="db"),
             os.environ.get("PYTEST_XDIST_WORKER", "main")]
        )
    )  # fmt: skip
