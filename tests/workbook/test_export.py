"""Exporting every household's data: heads and admins only, with a second factor passed in the
last minutes (else passed again, then the download), written to the access log and told to the
organisation's heads by e-mail. The CSV export escapes what a spreadsheet would run as a
formula, as the ``.xlsx`` export keeps it text, and imports back unchanged."""

import csv
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from freezegun import freeze_time
from openpyxl import load_workbook

from iml.models import AccessAction, AccessLog, Role
from iml.rls import organisation_transaction
from tests.conftest import enqueued, login
from tests.factories import MembershipFactory
from tests.workbook.builders import base_sheets, set_cell
from tests.workbook.helpers import changed, fresh_factor, run
from workbook.exporter import export_rows
from workbook.importer import import_workbook
from workbook.reader import read_path
from workbook.values import escape_formula, unescape_formula

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT = reverse("workbook:export_download")
VERIFY = reverse("workbook:export_verify")


def download(client):
    """GET the export, running what the request queued on commit (the heads' e-mail)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.get(EXPORT)


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix_of_the_export(client, org_a, members_a, role):
    login(client, members_a[role])
    if role in (Role.SOCIAL_WORKER, Role.REGISSEUR):
        for seconds_ago in (None, 0):
            if seconds_ago is not None:
                fresh_factor(client, seconds_ago)
            assert download(client).status_code == 403, role
            assert client.get(VERIFY).status_code == 403, role
            assert client.post(VERIFY, {"token": "12345678"}).status_code == 403, role
    else:
        # The second factor of the login, or one passed six minutes ago: passed again first.
        for seconds_ago in (None, 6 * 60):
            if seconds_ago is not None:
                fresh_factor(client, seconds_ago)
            response = download(client)
            assert response.status_code == 302 and response["Location"] == VERIFY, role
        assert client.get(VERIFY).status_code == 200
        fresh_factor(client, 4 * 60)
        response = download(client)
        assert response.status_code == 200 and response["Content-Type"] == XLSX, role
    exported = AccessLog.objects.filter(action=AccessAction.EXPORT)
    assert exported.count() == (1 if role in (Role.HEAD, Role.ADMIN) else 0)
    assert len(mail.outbox) == exported.count()


def test_the_second_factor_is_asked_again_then_the_file_downloads(
    client, org_a, members_a, staff_a, tmp_path
):
    run(org_a, tmp_path)
    admin = members_a[Role.ADMIN]
    login(client, admin)
    device = StaticDevice.objects.get(user=admin.user, name="tests")
    device.token_set.create(token="12345678")
    response = client.get(EXPORT, follow=True)
    assert response.redirect_chain == [(VERIFY, 302)]
    page = response.content.decode()
    assert "Confirmer l’export du classeur" in page and "moins de 5 minutes" in page
    response = client.post(VERIFY, {"token": "00000000"})
    assert "Code incorrect ou expiré" in response.content.decode()
    assert not AccessLog.objects.exists()
    with freeze_time("2025-06-20 10:00:05"):  # past the throttle of the wrong code
        with TestCase.captureOnCommitCallbacks(execute=True):
            response = client.post(VERIFY, {"token": "1234 5678"}, follow=True)
        assert response.redirect_chain == [(EXPORT, 302)]
        assert response["Content-Type"] == XLSX
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        assert "notes" not in next(book["interactions"].iter_rows(max_row=1, values_only=True))
        # Fresh for five minutes: no code to type again meanwhile.
        assert download(client).status_code == 200
    log = AccessLog.objects.filter(action=AccessAction.EXPORT).first()
    assert log.user == admin.user and log.object_type == "organisation"
    assert log.object_id == org_a.public_id and log.path == EXPORT


def test_the_heads_are_told_who_exported_and_when_without_household_data(
    client, org_a, members_a, members_b, staff_a, tmp_path
):
    run(org_a, tmp_path)
    other_head = MembershipFactory(organisation=org_a, role=Role.HEAD,
                                   user__email="cheffe2@alpha.example")  # fmt: skip
    MembershipFactory(organisation=org_a, role=Role.HEAD, user__email="partie@alpha.example",
                      is_active=False)  # fmt: skip
    admin = members_a[Role.ADMIN]
    admin.user.first_name, admin.user.last_name = "Awa", "Diallo"
    admin.user.save()
    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        fresh_factor(login(client, admin)).get(EXPORT)
    assert not mail.outbox  # sent once the request's transaction has committed
    assert [c.func.__self__.name for c in enqueued(callbacks)] == ["workbook.tasks.notify_export"]
    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [members_a[Role.HEAD].user.email, other_head.user.email]
    )
    message = mail.outbox[0]
    assert message.subject == "Export du classeur de Association Alpha"
    assert "téléchargé le 20/06/2025 à 12:00 par Awa Diallo (admin@alpha.example, " in message.body
    assert "journal des accès" in message.body and "/journal-des-acces/" in message.body
    for household_data in ("Haddad", "Amina", "Martin", "SIAO-1", "M1", "Première visite"):
        assert household_data not in message.body


def test_a_head_sees_the_export_and_not_the_import(client, org_a, members_a):
    login(client, members_a[Role.HEAD])
    page = client.get(reverse("workbook:import_upload")).content.decode()
    assert EXPORT in page and "Fichiers déposés" not in page
    assert reverse("workbook:template_download") not in page
    assert client.post(reverse("workbook:import_upload")).status_code == 403


# --- Formulas in the CSV export -------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+cmd", "-cmd", "@SUM(A1)", "\tx", "'=x", "''+x", "'", "'abc", "", "abc", "a=b"],
)
def test_escaping_formulas_round_trips(value):
    escaped = escape_formula(value)
    assert unescape_formula(escaped) == value
    assert not escaped.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_the_csv_export_escapes_formulas_and_imports_back_unchanged(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    hyperlink = '=HYPERLINK("http://pirate.example","Cliquez")'
    set_cell(sheets, "menages", 2, "orienting_structure", hyperlink)
    set_cell(sheets, "personnes", 2, "last_name", "+cmd")
    set_cell(sheets, "logements", 2, "landlord", "@SUM(1+1)")
    set_cell(sheets, "interactions", 2, "notes", "-cmd|' /C calc'!A0")
    set_cell(sheets, "ateliers", 2, "title", "'=déjà précédé d’une apostrophe")
    run(org_a, tmp_path, sheets)
    folder = tmp_path / "export"
    call_command("export_workbook", f"{folder}/", organisation=org_a.slug, stdout=io.StringIO())

    def cell(sheet, column, row=0):
        with (folder / f"{sheet}.csv").open(encoding="utf-8", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        return rows[row][header.index(column)]

    assert cell("menages", "orienting_structure") == "'" + hyperlink
    assert cell("personnes", "last_name") == "'+cmd"
    assert cell("logements", "landlord") == "'@SUM(1+1)"
    assert cell("interactions", "notes") == "'-cmd|' /C calc'!A0"
    assert cell("ateliers", "title") == "''=déjà précédé d’une apostrophe"
    # A number is no text: a negative amount stays as it is.
    assert cell("mouvements", "amount", row=3) == "-20.00"
    with organisation_transaction(org_a):
        before = export_rows(org_a)
        assert changed(import_workbook(read_path(folder), org_a)) == 0
        assert export_rows(org_a) == before
    assert before["menages"][0][4] == hyperlink  # the data themselves are not changed
