"""The nightly sweep of files no paper names: written by an upload whose transaction rolled
back after the files were stored (the caller's, a lost connection). Old enough only: an
upload in progress is never swept."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from iml.models import Organisation
from iml.rls import organisation_transaction
from papers.models import PaperFile, papers_storage

GRACE = datetime.timedelta(days=1)


def sweep_orphans(now: datetime.datetime | None = None) -> int:
    """Removes, organisation by organisation (its storage prefix), the files older than a day
    that no row names; returns how many."""
    now = now or timezone.now()
    storage = papers_storage()
    removed = 0
    for organisation in Organisation.objects.order_by("pk"):
        prefix = str(organisation.public_id)
        if not storage.exists(prefix):
            continue
        _, files = storage.listdir(prefix)
        with organisation_transaction(organisation):
            named = set(PaperFile.objects.values_list("file", flat=True)) | set(
                PaperFile.objects.exclude(thumbnail="").values_list("thumbnail", flat=True)
            )
        for name in files:
            path = f"{prefix}/{name}"
            if path in named or now - storage.get_modified_time(path) < GRACE:
                continue
            storage.delete(path)
            removed += 1
    return removed


@shared_task
def sweep_orphan_files() -> int:
    return sweep_orphans()
