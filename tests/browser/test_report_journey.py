"""Journey 3: a head of service opens the data-quality panel, fixes a gap, generates the
annual report with a real Celery worker, watches the progress bar, and downloads the PDF and
the XLSX."""

from __future__ import annotations

import io

import openpyxl
import pytest
from dateutil.relativedelta import relativedelta
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from iml.models import Dispositif, Role
from iml.rls import organisation_transaction
from tests.households.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.celery_worker, pytest.mark.real_two_factor]


def test_head_fixes_a_gap_and_generates_the_report(journey, world, worker):
    j, page = journey, journey.page
    head = world["members"][Role.HEAD].user
    device = TOTPDevice.objects.create(user=head, name="Téléphone", confirmed=True)
    PersonFactory(organisation=world["org"], household=world["keita"], first_name="Awa",
                  last_name="Keïta", nationality="", role="conjoint")  # fmt: skip
    with organisation_transaction(world["org"]):
        dispositif = Dispositif.objects.get()
    today = world["today"]
    report = (f"/rapport/?dispositif={dispositif.public_id}"
              f"&du={today - relativedelta(years=1):%Y-%m-%d}&au={today:%Y-%m-%d}")  # fmt: skip

    j.login(head.email)
    page.fill("input[name=token]", f"{totp(device.bin_key):06d}")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    j.goto(report)
    gap = "Awa Keïta (ménage M-KEITA) : nationalité non renseignée"
    assert gap in page.inner_text("#qualite")
    j.shot("qualite des donnees")
    with page.expect_navigation():
        page.click(f"#qualite a:has-text('{gap}')")
    page.select_option("select[name=nationality]", "SD")
    j.shot("correction")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    j.goto(report)
    assert gap not in page.inner_text("#qualite")

    with page.expect_navigation():
        page.click("button:has-text('Générer le rapport')")
    j.shot("generation demandee")
    page.wait_for_selector(".version-state progress, .version-state a:has-text('PDF')")
    j.shot("barre de progression")
    page.wait_for_selector(".version-state a:has-text('PDF')", timeout=90_000)
    j.shot("rapport pret")

    with page.expect_download() as download:
        page.click(".version-state a:has-text('PDF')")
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Rapport d’activité" in text and "IML-A" in text and "Soudan" in text
    with page.expect_download() as download:
        page.click(".version-state a:has-text('Classeur XLSX')")
    workbook = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert len(workbook.sheetnames) >= 8
