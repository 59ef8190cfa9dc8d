"""Demo funder's side: each demo dispositif's reports of the two last complete periods,
built and submitted by its head; the older one received by the DDETS, the latest waiting for
its review. Idempotent: nothing once the dispositif has submitted reports."""

from __future__ import annotations

from django.utils import timezone

from funders import services
from funders.models import Submission
from iml.models import FunderAgent
from reporting.models import ReportVersion
from reporting.services import default_period, previous_period, version_build


def seed(*, organisation, demo, dispositif, users) -> None:
    if dispositif.ddets_id is None:
        return
    if Submission.objects.filter(dispositif_public_id=dispositif.public_id).exists():
        return
    latest = default_period(dispositif, timezone.localdate())
    agent = FunderAgent.objects.filter(institution=dispositif.ddets_id).first()
    for start, end in (previous_period(*latest), latest):
        version = ReportVersion.objects.create(
            dispositif=dispositif, start=start, end=end, created_by=users["head"]
        )
        version_build(version.pk)
        version.refresh_from_db()
        submission = services.submit(version=version, by=users["head"])
        if (start, end) != latest and agent is not None:
            services.acknowledge(submission=submission, by=agent.user)
