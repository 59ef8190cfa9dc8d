"""Celery tasks of the annual report: thin wrappers over reporting.services."""

from __future__ import annotations

from celery import shared_task

from iml.scoping import organisation_context


@shared_task
def build_report_version(version_id: int, organisation_id: int) -> str:
    """Build a requested report version (enqueued on commit by ``version_request``).

    Runs as the version's organisation. Unlike other tasks it does not hold one
    ``organisation_transaction`` for its whole run: ``version_build`` opens one per step
    (claim, figures, progress updates, the final write), each committed at once, so that the
    report page, polling every second from another connection, sees the progress bar move
    instead of a jump from 0 to 100 when one long transaction commits. The final write puts
    every result in a single transaction: nothing partial is ever visible.

    Idempotent: a version that is no longer waiting is left as it is. Returns its status (no
    personal data: task results end up in logs).
    """
    from reporting.services import version_build

    with organisation_context(organisation_id):
        return version_build(version_id)
