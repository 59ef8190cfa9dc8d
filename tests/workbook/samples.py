"""Organisation A's import job for the isolation sweep (tests/test_isolation_sweep.py): its
file name carries the sweep's marker."""

from typing import Any

from iml.rls import organisation_transaction
from workbook.models import ImportJob, ImportStatus
from workbook.template import template_bytes


def samples(organisation, base: dict[str, Any]) -> dict[str, Any]:
    data = template_bytes()
    with organisation_transaction(organisation):
        job = ImportJob.all_organisations.create(
            organisation=organisation,
            file_name="classeur-IML-ALPHA.xlsx",
            file_data=data,
            file_size=len(data),
            status=ImportStatus.PRET,
            preview=[
                {"sheet": "menages", "label": "ménages", "create": 1, "update": 0, "unchanged": 0}
            ],
        )
    return {"job": job.public_id}
