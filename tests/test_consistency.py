"""Project-wide rules that every model and every app must follow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pghistory.models
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models

from iml.rls import has_organisation_column, organisation_tables
from iml.scoping import OrganisationOwned, OrganisationScopedManager

PROJECT_APPS = {
    "iml", "housing", "households", "tenancy", "support", "alerts", "reporting", "workbook",
    "privacy",
}  # fmt: skip
# Models that are not an operator's data: the tenant itself, platform-wide accounts, and the
# funders (institutions of the State and their agents, members of no operator).
PLATFORM_MODELS = {"iml.Organisation", "iml.User", "iml.Institution", "iml.FunderAgent"}


def project_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]


def history_models() -> list[type[models.Model]]:
    """pghistory's event tables: copies of tracked rows, organisation column included."""
    return [m for m in project_models() if issubclass(m, pghistory.models.Event)]


def organisation_models() -> list[type[models.Model]]:
    return [
        m
        for m in project_models()
        if m._meta.label not in PLATFORM_MODELS and m not in history_models()
    ]


@pytest.mark.parametrize("model", history_models(), ids=lambda m: m._meta.label)
def test_history_tables_keep_the_organisation_column(model):
    assert has_organisation_column(model)
    assert model._meta.db_table in organisation_tables()


def test_every_operator_model_is_organisation_owned():
    for model in organisation_models():
        assert issubclass(model, OrganisationOwned), (
            f"{model._meta.label} holds an operator's data: inherit iml.scoping.OrganisationOwned"
        )


@pytest.mark.parametrize("model", organisation_models(), ids=lambda m: m._meta.label)
def test_organisation_models_are_scoped_and_fail_closed(model):
    assert isinstance(model._default_manager, OrganisationScopedManager)
    assert model._base_manager.__class__ is not OrganisationScopedManager
    assert hasattr(model, "all_organisations")
    field = model._meta.get_field("organisation")
    assert not field.null


@pytest.mark.parametrize("model", organisation_models(), ids=lambda m: m._meta.label)
def test_unique_constraints_include_the_organisation(model):
    """Citus-ready: every unique constraint of an operator table includes organisation."""
    uniques = [c for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)]
    assert any(set(c.fields) == {"organisation", "public_id"} for c in uniques), (
        f"{model._meta.label}: add UniqueConstraint(organisation, public_id)"
    )
    for constraint in uniques:
        assert "organisation" in constraint.fields, f"{model._meta.label}.{constraint.name}"
    for field in model._meta.local_fields:
        assert not field.unique or field.primary_key, (
            f"{model._meta.label}.{field.name} is unique alone: make it unique per organisation"
        )


def test_every_project_app_is_installed():
    for app in PROJECT_APPS:
        assert app in settings.INSTALLED_APPS


def test_interface_is_french():
    assert settings.LANGUAGE_CODE == "fr-fr"
    assert settings.TIME_ZONE == "Europe/Paris"


def test_production_settings_pass_the_deployment_checks(tmp_path):
    """`manage.py check --deploy` is clean with the production configuration."""
    env = {
        "PATH": "/usr/bin:/bin",
        "IML_ENV": "production",
        "SECRET_KEY": "a" * 20 + "-production-secret-for-the-check-" + "z" * 20,
        "ALLOWED_HOSTS": "iml.example.org",
        "DATABASE_URL": "postgres://iml:secret@db.invalid:5432/iml",
        "REDIS_URL": "redis://redis.invalid:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(settings.BASE_DIR),
        env={"PATH": "/usr/bin:/bin", "IML_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
