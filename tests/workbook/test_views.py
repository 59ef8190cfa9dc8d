"""The screens: upload, preview and errors, confirmation and progress, downloads; import for
the admin only, export for heads and admins with a fresh second factor; another
organisation's job is a 404."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import load_workbook

from households.models import Household
from iml.models import AccessAction, AccessLog, Role
from iml.rls import organisation_transaction
from tests.conftest import enqueued, login
from tests.workbook.builders import base_sheets, set_cell, write_xlsx
from tests.workbook.helpers import counts, fresh_factor
from workbook import jobs, spec
from workbook.models import ImportJob, ImportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, tmp_path, sheets=None, name="classeur.xlsx"):
    """Upload, then run what the request queued on commit: the worker's analysis."""
    path = write_xlsx(tmp_path / name, base_sheets() if sheets is None else sheets)
    file = SimpleUploadedFile(name, path.read_bytes(), content_type=XLSX)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("workbook:import_upload"), {"file": file})


def post_file(client, file):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("workbook:import_upload"), {"file": file})


@pytest.fixture
def admin(client, members_a):
    return login(client, members_a[Role.ADMIN])


def job_of(organisation, **fields):
    with organisation_transaction(organisation):
        return ImportJob.all_organisations.create(
            organisation=organisation, file_name="c.xlsx", file_data=b"", **fields
        )


def urls(job):
    return [
        ("get", reverse("workbook:import_upload")),
        ("get", reverse("workbook:import_detail", kwargs={"job": job.public_id})),
        ("get", reverse("workbook:import_progress", kwargs={"job": job.public_id})),
        ("post", reverse("workbook:import_confirm", kwargs={"job": job.public_id})),
        ("get", reverse("workbook:template_download")),
        ("get", reverse("workbook:export_download")),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(client, org_a, members_a, role):
    job = job_of(org_a, status=ImportStatus.ERREURS)
    login(client, members_a[role])
    export = reverse("workbook:export_download")
    for method, url in urls(job):
        response = getattr(client, method)(url)
        if role == Role.ADMIN:
            assert response.status_code in (200, 302), url
        elif role == Role.HEAD and url in (reverse("workbook:import_upload"), export):
            assert response.status_code in (200, 302), url  # the page shows the export only
        else:
            assert response.status_code == 403, (role, url)


def test_another_organisations_admin_gets_404(client, org_a, members_b):
    job = job_of(org_a, status=ImportStatus.PRET)
    login(client, members_b[Role.ADMIN])
    for method, url in urls(job):
        if "imports" in url:
            assert getattr(client, method)(url).status_code == 404, url
    with organisation_transaction(org_a):
        assert ImportJob.all_organisations.get(pk=job.pk).status == ImportStatus.PRET


def test_upload_preview_confirm_and_import(
    admin, org_a, staff_a, tmp_path, django_capture_on_commit_callbacks
):
    response = upload(admin, tmp_path)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workbook:import_detail", kwargs={"job": job.public_id})
    assert job.status == ImportStatus.PRET and job.created_by.email == "admin@alpha.example"
    assert not Household.objects.exists()  # the analysis writes nothing
    page = admin.get(response["Location"]).content.decode()
    assert "Aperçu" in page and "prêt à importer" in page
    assert '<td data-label="À créer" class="num">4</td>' in page  # ménages
    assert reverse("workbook:import_confirm", kwargs={"job": job.public_id}) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(reverse("workbook:import_confirm", kwargs={"job": job.public_id}))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.TERMINE and job.progress == 100 and job.finished_at
    assert bytes(job.file_data) == b""  # imported: the file is not kept
    assert Household.objects.count() == 4
    page = admin.get(reverse("workbook:import_detail", kwargs={"job": job.public_id}))
    assert "Le classeur est importé." in page.content.decode()
    # Confirming again does nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        admin.post(reverse("workbook:import_confirm", kwargs={"job": job.public_id}))
    assert not enqueued(callbacks)


def test_upload_with_errors_lists_every_error(admin, org_a, staff_a, tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "personnes", 2, "sex", "z")
    set_cell(sheets, "menages", 3, "exit_date", "2023-03-15")
    before = counts(org_a)
    response = upload(admin, tmp_path, sheets)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.ERREURS and len(job.errors) == 2
    page = admin.get(response["Location"]).content.decode()
    assert "2 erreurs à corriger" in page
    assert "personnes:2: sex: code inconnu « z »" in page
    assert "menages:3: exit_date: la sortie (15/03/2023) précède l’entrée (01/04/2023)" in page
    assert reverse("workbook:import_confirm", kwargs={"job": job.public_id}) not in page
    response = admin.post(reverse("workbook:import_confirm", kwargs={"job": job.public_id}))
    job.refresh_from_db()
    assert job.status == ImportStatus.ERREURS
    assert counts(org_a) == before


def test_errors_are_paginated(admin, org_a):
    job = job_of(
        org_a, status=ImportStatus.ERREURS, errors=[f"menages:{n}: x: y" for n in range(250)]
    )
    url = reverse("workbook:import_detail", kwargs={"job": job.public_id})
    page = admin.get(url).content.decode()
    assert "menages:99: x: y" in page and "menages:100: x: y" not in page
    assert "menages:249: x: y" in admin.get(url + "?page=3").content.decode()


def test_a_refused_file_writes_nothing(admin, org_a):
    file = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = post_file(admin, file)
    assert response.status_code == 200
    assert "Envoyez un classeur .xlsx" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_garbled_file_is_a_job_with_errors(admin, org_a):
    file = SimpleUploadedFile("menages.csv", b"\x00\xff<script>;x\n1;2\n", content_type="text/csv")
    response = post_file(admin, file)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.ERREURS
    page = admin.get(response["Location"]).content.decode()
    assert "<script>" not in page


def test_every_file_is_analysed_in_a_task_never_in_the_request(
    admin, org_a, staff_a, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """A small file too: a few hundred kilobytes of zip can take a minute and gigabytes."""
    path = write_xlsx(tmp_path / "petit.xlsx", base_sheets())
    file = SimpleUploadedFile("petit.xlsx", path.read_bytes(), content_type=XLSX)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin.post(reverse("workbook:import_upload"), {"file": file})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.EN_ATTENTE and job.preview == []
    assert [callback.func.__self__.name for callback in enqueued(callbacks)] == [
        "workbook.tasks.analyse_import"
    ]
    page = admin.get(response["Location"]).content.decode()
    assert "Analyse du fichier en cours" in page and 'hx-trigger="every 2s"' in page
    for callback in callbacks:
        callback()
    job.refresh_from_db()
    assert job.status == ImportStatus.PRET and job.preview


def test_progress_fragment(admin, org_a):
    job = job_of(org_a, status=ImportStatus.EN_COURS, progress=40)
    url = reverse("workbook:import_progress", kwargs={"job": job.public_id})
    response = admin.get(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'hx-trigger="every 2s"' in body and 'value="40"' in body
    assert "HX-Refresh" not in response
    with organisation_transaction(org_a):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.TERMINE, progress=100)
    response = admin.get(url, headers={"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.content.decode()


def test_template_download(admin):
    response = admin.get(reverse("workbook:template_download"))
    assert response["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [spec.NOTICE_SHEET, *(sheet.name for sheet in spec.SHEETS), "codes"]
    for sheet in spec.SHEETS:
        header = [cell.value for cell in book[sheet.name][1]]
        assert header == sheet.column_names
        assert book[sheet.name].max_row == 1
    codes = list(book["codes"].iter_rows(values_only=True))
    assert codes[0] == ("liste", "code", "libellé", "colonnes")
    assert ("sex", "f", "femme", "personnes.sex") in codes
    assert len(codes) - 1 == sum(len(choices.values) for _, choices in spec.CODE_LISTS)
    listed = {row[0] for row in codes[1:]}
    assert listed == {name for name, _ in spec.CODE_LISTS}


def test_the_template_imports_as_is(admin, org_a, tmp_path):
    response = admin.get(reverse("workbook:template_download"))
    file = SimpleUploadedFile("modele.xlsx", response.content, content_type=XLSX)
    post_file(admin, file)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PRET and job.errors == []


def test_export_download_is_logged(admin, org_a, staff_a, tmp_path, members_a):
    from tests.workbook.helpers import run

    run(org_a, tmp_path)
    response = fresh_factor(admin).get(reverse("workbook:export_download"))
    assert response["Content-Type"] == XLSX
    assert 'filename="classeur-alpha-2025-06-20.xlsx"' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    assert [row[0] for row in book["menages"].iter_rows(min_row=2, values_only=True)] == [
        "M1", "M2", "M3", "M4",
    ]  # fmt: skip
    log = AccessLog.objects.get(action=AccessAction.EXPORT)
    assert log.user == members_a[Role.ADMIN].user and log.object_id == org_a.public_id
    # The confidential notes are not the admin's to read: the column is left out.
    header = next(book["interactions"].iter_rows(max_row=1, values_only=True))
    assert "notes" not in header and "type" in header


def test_upload_page_lists_jobs_with_a_constant_number_of_queries(
    admin, org_a, django_assert_max_num_queries
):
    url = reverse("workbook:import_upload")
    empty = admin.get(url).content.decode()
    assert "Aucun fichier déposé pour l’instant" in empty
    for _ in range(30):
        job_of(org_a, status=ImportStatus.TERMINE)
    with django_assert_max_num_queries(12):
        page = admin.get(url).content.decode()
    assert page.count('data-label="Fichier"') == 20


def test_a_failed_import_is_marked_and_writes_nothing(
    admin, org_a, staff_a, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from workbook import importer

    def fail(self):
        self.simple("dispositifs", importer.Dispositif)
        raise RuntimeError("boom")

    upload(admin, tmp_path)
    job = ImportJob.objects.get()
    monkeypatch.setattr(importer.Writer, "write", fail)
    before = counts(org_a)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("workbook:import_confirm", kwargs={"job": job.public_id}))
    job.refresh_from_db()
    assert job.status == ImportStatus.ECHEC and job.errors == [jobs.UNEXPECTED]
    assert bytes(job.file_data) == b""  # deleted: it is uploaded again to try again
    assert counts(org_a) == before
    page = admin.get(reverse("workbook:import_detail", kwargs={"job": job.public_id}))
    assert "L’import a échoué : rien n’a été écrit." in page.content.decode()


def test_progress_comes_from_the_running_import(admin, org_a):
    from django.core.cache import cache

    job = job_of(org_a, status=ImportStatus.EN_COURS)
    cache.set(jobs.progress_key(job), 63)
    try:
        body = admin.get(reverse("workbook:import_progress", kwargs={"job": job.public_id}))
        assert 'value="63"' in body.content.decode()
    finally:
        cache.delete(jobs.progress_key(job))
