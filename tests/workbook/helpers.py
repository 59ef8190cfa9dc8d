"""Running imports in the tests, and counting what they wrote."""

from __future__ import annotations

import time

import pytest
from django.apps import apps

from iml import twofactor
from iml.rls import organisation_transaction
from iml.scoping import OrganisationOwned
from tests.workbook.builders import book
from workbook.importer import ImportErrors, import_workbook


def run(organisation, tmp_path, sheets=None, **options):
    """Import ``sheets`` (default: the base workbook) as ``organisation``."""
    parsed = book(tmp_path, sheets)
    with organisation_transaction(organisation):
        return import_workbook(parsed, organisation, **options)


def errors_of(organisation, tmp_path, sheets) -> list[str]:
    with pytest.raises(ImportErrors) as info:
        run(organisation, tmp_path, sheets)
    return info.value.errors


def counts(organisation) -> dict[str, int]:
    """Rows of every organisation-owned model (but the jobs) of ``organisation``."""
    with organisation_transaction(organisation):
        return {
            model._meta.label: model.all_organisations.filter(organisation=organisation).count()
            for model in apps.get_models()
            if issubclass(model, OrganisationOwned) and model._meta.app_label != "workbook"
        }


def snapshot(organisation) -> dict[str, list[dict]]:
    """Every row of every organisation-owned model of ``organisation``."""
    with organisation_transaction(organisation):
        return {
            model._meta.label: list(
                model.all_organisations.filter(organisation=organisation).order_by("pk").values()
            )
            for model in apps.get_models()
            if issubclass(model, OrganisationOwned) and model._meta.app_label != "workbook"
        }


def created(analysis) -> dict[str, int]:
    return {sheet["sheet"]: sheet["create"] for sheet in analysis.preview()}


def changed(analysis) -> int:
    return sum(sheet["create"] + sheet["update"] for sheet in analysis.preview())


def fresh_factor(client, seconds_ago: int = 0):
    """The client's session passed the second factor ``seconds_ago`` (the export asks for
    one of the last minutes)."""
    session = client.session
    session[twofactor.VERIFIED_AT_SESSION_KEY] = int(time.time()) - seconds_ago
    session.save()
    return client
