"""A real Celery worker process (the ``worker`` fixture of tests/conftest.py), on the real
Redis, runs a task that reads the database."""

from __future__ import annotations

import time

import pytest

from iml.models import Role
from iml.scoping import organisation_context
from iml.services import member_invite
from tests.factories import MembershipFactory


@pytest.mark.celery_worker
def test_invitation_is_sent_by_a_real_worker_after_commit(worker, tmp_path, org_a):
    admin = MembershipFactory(organisation=org_a, role=Role.ADMIN)
    with organisation_context(org_a):
        membership = member_invite(
            organisation=org_a,
            email="recrue@exemple.fr",
            first_name="Awa",
            last_name="Diallo",
            role=Role.SOCIAL_WORKER,
            invited_by=admin.user,
        )
    # The worker writes the e-mail with the file backend of IML_TEST_EMAIL_DIR.
    # The file appears before the worker has finished writing it: wait for its content.
    deadline = time.monotonic() + 60
    text = ""
    while time.monotonic() < deadline and "To:" not in text:
        assert worker.poll() is None, "the worker died"
        time.sleep(0.2)
        text = "".join(message.read_text() for message in tmp_path.glob("*.log"))
    assert text, "no e-mail written by the worker within 60 s"
    assert "To: recrue@exemple.fr" in text
    assert "Association Alpha" in text
    assert membership.user.email == "recrue@exemple.fr"


@pytest.mark.celery_worker
def test_task_result_comes_back_through_redis(worker, org_a):
    from iml.tasks import send_invitation

    admin = MembershipFactory(organisation=org_a, role=Role.ADMIN)
    result = send_invitation.delay(admin.pk, org_a.pk)
    # The result names the membership, not the person: task results end up in logs.
    assert result.get(timeout=60) == str(admin.public_id)
