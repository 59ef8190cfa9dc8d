"""Import jobs: analysed by a worker only, failed with a French message when no worker answers,
and their uploaded file deleted once of no use (imported, refused, failed) or after the
retention delay."""

import datetime
import threading

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from households.models import Household
from iml.models import Role
from iml.rls import organisation_transaction
from tests.conftest import enqueued, login
from tests.factories import OrganisationFactory
from tests.workbook.builders import (
    base_sheets,
    replace_member,
    set_cell,
    sheet_member,
    write_xlsx,
    xlsx_with_rows,
)
from tests.workbook.helpers import counts
from workbook import jobs, tasks
from workbook.models import ImportJob, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOADED = datetime.datetime(2025, 6, 20, 10, 0, tzinfo=datetime.UTC)  # the frozen "now"


@pytest.fixture
def admin(client, members_a):
    return login(client, members_a[Role.ADMIN])


def post(client, path, *, worker=True):
    """Upload ``path``; ``worker``: what the request queued runs (else no worker answers)."""
    file = SimpleUploadedFile(path.name, path.read_bytes(), content_type=XLSX)
    with TestCase.captureOnCommitCallbacks(execute=worker):
        response = client.post(reverse("workbook:import_upload"), {"file": file})
    assert response.status_code == 302
    return ImportJob.objects.get(public_id=response["Location"].split("/")[-2])


def page(client, job) -> str:
    """The job's page, the admin logged in again (sessions end after 30 idle minutes)."""
    client.force_login(job.created_by)
    response = client.get(reverse("workbook:import_detail", kwargs={"job": job.public_id}))
    assert response.status_code == 200
    return response.content.decode()


def stored_files() -> int:
    """Uploads whose content is still in the database, whatever the organisation."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workbook_importjob WHERE length(file_data) > 0")
        return cursor.fetchone()[0]


def job_of(organisation, **fields) -> ImportJob:
    with organisation_transaction(organisation):
        return ImportJob.all_organisations.create(
            organisation=organisation, file_name="c.xlsx", file_data=b"PK data", **fields
        )


def aged(job, **delta) -> ImportJob:
    """``job`` as uploaded ``delta`` before the frozen now (``created_at`` is set on insert)."""
    with organisation_transaction(job.organisation):
        ImportJob.all_organisations.filter(pk=job.pk).update(
            created_at=UPLOADED - datetime.timedelta(**delta)
        )
    return job


def reloaded(job) -> ImportJob:
    with organisation_transaction(job.organisation):
        return ImportJob.all_organisations.get(pk=job.pk)


# --- Analysed by a worker, never in the request ---------------------------------------------


def test_a_broken_xlsx_is_a_french_message_not_a_500(admin, org_a, tmp_path):
    path = write_xlsx(tmp_path / "abime.xlsx", base_sheets())
    replace_member(path, sheet_member(path, "menages"), b"<worksheet><sheetData><row>")
    job = post(admin, path)
    assert job.status == ImportStatus.ERREURS
    assert job.errors == [
        "classeur:1: fichier: classeur .xlsx illisible (abime.xlsx / menages) : contenu XML "
        "endommagé (ligne 1, colonne 27). Ouvrez-le dans votre tableur et enregistrez-le à "
        "nouveau."
    ]
    assert "contenu XML endommagé" in page(admin, job)
    assert bytes(job.file_data) == b""


def test_a_bomb_is_refused_by_the_worker_and_its_file_deleted(admin, org_a, tmp_path, settings):
    settings.WORKBOOK_MAX_ROWS_PER_SHEET = 100
    job = post(admin, xlsx_with_rows(tmp_path / "bombe.xlsx", 150))
    assert job.status == ImportStatus.ERREURS
    assert job.errors == [
        "classeur:1: fichier: Trop de lignes dans la feuille « mouvements » : plus de 100, "
        "100 au plus. Découpez-la en plusieurs classeurs."
    ]
    assert bytes(job.file_data) == b"" and stored_files() == 0


def test_an_analysis_that_fails_is_marked_and_its_file_deleted(admin, org_a, tmp_path, monkeypatch):
    def boom(job):
        raise RuntimeError("boom")

    monkeypatch.setattr(jobs, "job_analyse", boom)
    job = post(admin, write_xlsx(tmp_path / "c.xlsx", base_sheets()))
    assert job.status == ImportStatus.ECHEC and job.errors == [jobs.ANALYSIS_FAILED]
    assert bytes(job.file_data) == b""
    assert "erreur inattendue pendant l’analyse" in page(admin, job)


def test_an_analysis_past_the_time_limit_is_marked(admin, org_a, tmp_path, monkeypatch):
    assert tasks.analyse_import.soft_time_limit == 30 * 60
    assert tasks.run_import.soft_time_limit == 30 * 60

    def slow(job):
        raise SoftTimeLimitExceeded

    monkeypatch.setattr(jobs, "job_analyse", slow)
    job = post(admin, write_xlsx(tmp_path / "c.xlsx", base_sheets()))
    assert job.status == ImportStatus.ECHEC
    assert job.errors == [jobs.ANALYSIS_TIMED_OUT.format(minutes=30)]


# --- No worker answers ----------------------------------------------------------------------


def test_an_analysis_no_worker_answers_fails_after_the_timeout(admin, org_a, tmp_path):
    job = post(admin, write_xlsx(tmp_path / "c.xlsx", base_sheets()), worker=False)
    with freeze_time("2025-06-20 10:29:00"):
        assert "Analyse du fichier en cours" in page(admin, job)
    assert reloaded(job).status == ImportStatus.EN_ATTENTE
    with freeze_time("2025-06-20 10:31:00"):
        admin.force_login(job.created_by)
        url = reverse("workbook:import_progress", kwargs={"job": job.public_id})
        response = admin.get(url, headers={"HX-Request": "true"})
        assert response["HX-Refresh"] == "true"  # the page reloads: the job is over
        text = page(admin, job)
    job = reloaded(job)
    assert job.status == ImportStatus.ECHEC and bytes(job.file_data) == b""
    assert job.errors == [
        "classeur:1: analyse: le fichier n’a pas pu être analysé en 30 minutes (le service "
        "d’analyse n’a pas répondu) ; rien n’a été importé. Déposez-le à nouveau."
    ]
    assert "échec de l’import" in text and "n’a pas pu être analysé en 30 minutes" in text
    assert 'hx-trigger="every 2s"' not in text


def test_an_import_no_worker_runs_fails_after_the_timeout(admin, org_a, staff_a, tmp_path):
    job = post(admin, write_xlsx(tmp_path / "c.xlsx", base_sheets()))
    assert job.status == ImportStatus.PRET
    before = counts(org_a)
    with freeze_time("2025-06-20 11:00:00"), TestCase.captureOnCommitCallbacks(execute=False):
        admin.force_login(job.created_by)
        admin.post(reverse("workbook:import_confirm", kwargs={"job": job.public_id}))
    job = reloaded(job)
    assert job.status == ImportStatus.EN_COURS
    assert job.started_at == datetime.datetime(2025, 6, 20, 11, 0, tzinfo=datetime.UTC)
    with freeze_time("2025-06-20 11:29:00"):  # an hour after the upload, 29 min after start
        assert "Avancement de l’import" in page(admin, job)
    with freeze_time("2025-06-20 11:31:00"):
        text = page(admin, job)
    job = reloaded(job)
    assert job.status == ImportStatus.ECHEC and bytes(job.file_data) == b""
    assert job.errors == [jobs.IMPORT_TIMED_OUT.format(minutes=30)]
    assert "L’import a échoué : rien n’a été écrit." in text
    assert counts(org_a) == before
    # A late worker finds the job over and does nothing.
    assert tasks.run_import(job.pk, org_a.pk) == ImportStatus.ECHEC
    assert counts(org_a) == before


@pytest.mark.django_db(transaction=True)
def test_a_job_a_worker_is_working_on_is_left_alone():
    """A task holds its job's row lock while it works: however long it takes, the job is
    not failed under it, and the page does not wait for the lock."""
    organisation = OrganisationFactory(slug="verrou")
    job = aged(job_of(organisation, status=ImportStatus.ANALYSE), hours=2)
    locked, release = threading.Event(), threading.Event()

    def working():
        try:
            with organisation_transaction(organisation):
                ImportJob.objects.select_for_update().get(pk=job.pk)
                locked.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=working)
    thread.start()
    try:
        assert locked.wait(20)
        with organisation_transaction(organisation):
            assert jobs.fail_stale_jobs(UPLOADED) == 0
        assert reloaded(job).status == ImportStatus.ANALYSE
    finally:
        release.set()
        thread.join(20)
    with organisation_transaction(organisation):
        assert jobs.fail_stale_jobs(UPLOADED) == 1
    assert reloaded(job).status == ImportStatus.ECHEC


# --- The uploaded file does not outlive its use ---------------------------------------------


def test_no_stored_file_remains_after_confirm_refusal_failure_or_the_delay(
    admin, org_a, staff_a, tmp_path, monkeypatch
):
    # Confirmed and written.
    written = post(admin, write_xlsx(tmp_path / "bon.xlsx", base_sheets()))
    assert bytes(written.file_data)  # kept while it waits for its confirmation
    with TestCase.captureOnCommitCallbacks(execute=True):
        admin.post(reverse("workbook:import_confirm", kwargs={"job": written.public_id}))
    assert reloaded(written).status == ImportStatus.TERMINE
    assert Household.objects.count() == 4
    # Refused by the analysis.
    sheets = base_sheets()
    set_cell(sheets, "personnes", 2, "sex", "z")
    refused = post(admin, write_xlsx(tmp_path / "faux.xlsx", sheets))
    assert refused.status == ImportStatus.ERREURS
    # Refused at the import (the data changed since the analysis), or failed while writing.
    from workbook import importer

    def refuse(*args, **kwargs):
        raise importer.ImportErrors(["menages:2: ref: changé depuis l’analyse"])

    for name, patch, status in (
        ("refuse.xlsx", (jobs, "import_workbook", refuse), ImportStatus.ERREURS),
        ("echec.xlsx", (importer.Writer, "write", lambda self: 1 / 0), ImportStatus.ECHEC),
    ):
        job = post(admin, write_xlsx(tmp_path / name, base_sheets()))
        assert job.status == ImportStatus.PRET
        with monkeypatch.context() as patched, TestCase.captureOnCommitCallbacks(execute=True):
            patched.setattr(*patch)
            admin.post(reverse("workbook:import_confirm", kwargs={"job": job.public_id}))
        assert reloaded(job).status == status
    # Never confirmed: deleted after the delay.
    waiting = post(admin, write_xlsx(tmp_path / "attente.xlsx", base_sheets()))
    assert reloaded(waiting).status == ImportStatus.PRET and stored_files() == 1
    with freeze_time("2025-06-21 09:59:00"):
        assert tasks.purge_uploads() == {"failed": 0, "purged": 0}
    with freeze_time("2025-06-21 10:01:00"):
        assert tasks.purge_uploads() == {"failed": 0, "purged": 1}
        text = page(admin, waiting)
    assert reloaded(waiting).status == ImportStatus.EXPIRE
    assert "n’a pas été importé dans les 24 heures qui ont suivi son dépôt" in text
    assert stored_files() == 0
    # An expired job cannot be confirmed any more.
    url = reverse("workbook:import_detail", kwargs={"job": waiting.public_id})
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        response = admin.post(url + "confirmer/", follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "il est « expiré sans import »" in response.content.decode()
    assert reloaded(waiting).status == ImportStatus.EXPIRE and not enqueued(callbacks)


def test_the_periodic_task_covers_every_organisation(org_a, org_b):
    old_ready = aged(job_of(org_a, status=ImportStatus.PRET), hours=25)
    recent_ready = aged(job_of(org_b, status=ImportStatus.PRET), hours=23)
    old_refused = aged(job_of(org_b, status=ImportStatus.ERREURS), hours=25)  # before the fix
    stuck = aged(job_of(org_b, status=ImportStatus.EN_ATTENTE), minutes=31)
    running = aged(job_of(org_a, status=ImportStatus.ANALYSE), minutes=29)
    assert tasks.purge_uploads.delay().get() == {"failed": 1, "purged": 2}
    assert reloaded(old_ready).status == ImportStatus.EXPIRE
    assert bytes(reloaded(old_ready).file_data) == b""
    assert bytes(reloaded(recent_ready).file_data) == b"PK data"
    assert reloaded(old_refused).status == ImportStatus.ERREURS
    assert bytes(reloaded(old_refused).file_data) == b""
    assert reloaded(stuck).status == ImportStatus.ECHEC
    assert reloaded(stuck).finished_at == timezone.now()
    assert reloaded(running).status == ImportStatus.ANALYSE
