"""A browser upload analysed and imported by a real Celery worker on the real Redis: the
request only stores the file, the worker reads it, and the file is gone once imported."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from households.models import Household
from iml.models import Role
from iml.rls import organisation_transaction
from tests.conftest import login
from tests.workbook.builders import base_sheets, write_xlsx
from workbook.models import ImportJob, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _today():
    """Real time here: the worker is another process, and the polling below sleeps."""
    yield


def wait_for(organisation, job, statuses, worker) -> ImportJob:
    for _ in range(300):
        assert worker.poll() is None, "the worker died"
        with organisation_transaction(organisation):
            current = ImportJob.all_organisations.get(pk=job.pk)
        if current.status in statuses:
            return current
        time.sleep(0.2)
    pytest.fail(f"job still « {current.get_status_display()} » after 60 s")


@pytest.mark.celery_worker
def test_a_real_worker_analyses_then_imports_an_upload(worker, client, org_a, members_a, tmp_path):
    login(client, members_a[Role.ADMIN])
    path = write_xlsx(tmp_path / "classeur.xlsx", base_sheets())
    file = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
    response = client.post(reverse("workbook:import_upload"), {"file": file})
    assert response.status_code == 302
    with organisation_transaction(org_a):
        job = ImportJob.objects.get()
    job = wait_for(org_a, job, (ImportStatus.PRET, ImportStatus.ERREURS), worker)
    assert job.status == ImportStatus.PRET, job.errors
    client.post(reverse("workbook:import_confirm", kwargs={"job": job.public_id}))
    job = wait_for(org_a, job, (ImportStatus.TERMINE, ImportStatus.ERREURS, ImportStatus.ECHEC),
                   worker)  # fmt: skip
    assert job.status == ImportStatus.TERMINE, job.errors
    assert bytes(job.file_data) == b""
    with organisation_transaction(org_a):
        assert Household.objects.count() == 4
