"""Celery tasks of the bank: thin wrappers over ``banking.importing``, each run as the
statement's organisation."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from banking import importing
from iml.models import Organisation
from iml.rls import organisation_transaction
from iml.scoping import organisation_context


def _limits() -> dict:
    """Past the imports' timeout the task is stopped, then killed a minute later."""
    seconds = int(importing.import_timeout().total_seconds())
    return {"soft_time_limit": seconds, "time_limit": seconds + 60}


@shared_task(**_limits())
def run_statement_import(
    statement_id: int, organisation_id: int, fmt: str | None = None, mapping: dict | None = None
) -> str:
    """An uploaded statement, imported in one transaction (or failed with its errors)."""
    organisation = Organisation.objects.get(pk=organisation_id)
    with organisation_transaction(organisation):
        return importing.statement_run(statement_id, fmt=fmt, mapping=mapping).status


@shared_task
def fail_stale_imports() -> int:
    """Every organisation: uploads no worker answered are failed and their file emptied
    (beat, every quarter of an hour). Not ``organisation_transaction``: a failed upload
    changes no figure, so the cached aggregates stay."""
    now = timezone.now()
    failed = 0
    for organisation in Organisation.objects.order_by("pk"):
        with transaction.atomic(), organisation_context(organisation):
            failed += importing.fail_stale_statements(now)
    return failed
