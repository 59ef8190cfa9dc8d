"""Organisation A's report version for the isolation sweep (tests/test_isolation_sweep.py):
the ``version`` keyword argument of the version URLs (PDF, XLSX, JSON, progress). A ready
version, built directly (no task): small documents, the example figures."""

import datetime
from typing import Any

from iml.rls import organisation_transaction
from reporting.models import ReportStatus, ReportVersion
from tests.factories import MembershipFactory
from tests.reporting.example_figures import example_figures


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    head = MembershipFactory(organisation=organisation, role="head").user
    with organisation_transaction(organisation):
        version = ReportVersion.objects.create(
            organisation=organisation,
            dispositif=base["_dispositif"],
            start=datetime.date(2024, 1, 1),
            end=datetime.date(2024, 12, 31),
            status=ReportStatus.READY,
            progress=100,
            figures={**example_figures(), "dispositif": "IML-ALPHA"},
            narrative={"mission": "Dispositif Alpha : mission"},
            pdf=b"%PDF-1.4\n% Dispositif Alpha\n%%EOF\n",
            xlsx=b"PK\x03\x04 Dispositif Alpha",
            gaps=7,
            created_by=head,
        )
    return {"version": version.public_id}
