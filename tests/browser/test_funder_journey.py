"""Journey 9: the annual report goes to the DDETS and comes back. A head of service submits a
ready version (confirming the question the browser asks); the DDETS's agent opens it,
downloads the PDF and returns it with a comment; the head reads the comment and submits a
corrected version; the agent sees both versions and acknowledges the second; the head sees it
received. axe-core on every page of both sides (and on the DREETS's regional review), and the
same pages on a phone's width."""

from __future__ import annotations

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from funders.models import Submission
from iml.models import Dispositif, Role
from iml.rls import organisation_transaction
from tests.funders.helpers import PDF, agent, ddets, dreets, figures_with, ready_version, submitted

pytestmark = [pytest.mark.browser, pytest.mark.real_two_factor]

OFFICE = "DDETS ddets-71"  # the test DDETS of Saône-et-Loire (Alpha's département), by name
QUESTION = f"Transmettre cette version à {OFFICE} ? Elle ne pourra plus être modifiée."
COMMENT = "Les sorties de l’année manquent : complétez-les, puis transmettez une nouvelle version."


def _recovery_codes(user, *codes: str) -> list[str]:
    device = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return list(codes)


def _sign_in(j, email: str, code: str) -> None:
    """A fresh browser session: password, then the second factor (TOTP or recovery code)."""
    j.page.context.clear_cookies()
    j.login(email)
    assert "Vérification en deux étapes" in j.page.inner_text("main")
    j.page.fill("input[name=token]", code)
    with j.page.expect_navigation():
        j.page.click("main button[type=submit]")
    assert "Vérification en deux étapes" not in j.page.inner_text("main"), email


def _row(page, table_heading: str, text: str) -> str:
    """The text of the row holding ``text`` in the first table after the heading."""
    table = page.locator(f"h2:has-text('{table_heading}') ~ table").first
    return table.locator("tbody tr", has_text=text).inner_text()


def _cells(row) -> dict[str, str]:
    """A row of a responsive table, by column (its cells' ``data-label``), without the
    submission's date and author (they are the clock's and the factory's)."""
    cells = row.evaluate(
        "r => Object.fromEntries([...r.cells].map(c => [c.dataset.label, c.innerText.trim()]))"
    )
    cells.pop("Transmise le", None)
    return cells


def _funded(world):
    """Alpha's dispositif names the DDETS of Alpha's own département (71)."""
    org, head = world["org"], world["members"][Role.HEAD].user
    office = ddets(org.departement)
    with organisation_transaction(org):
        dispositif = Dispositif.objects.get()
        dispositif.ddets = office
        dispositif.save()
    return org, head, office, dispositif


def test_report_submitted_returned_corrected_and_received(audit_journey, world):
    j, page = audit_journey, audit_journey.page
    org, head, office, dispositif = _funded(world)
    with organisation_transaction(org):
        ready_version(dispositif, head)
    head_device = TOTPDevice.objects.create(user=head, name="Téléphone", confirmed=True)
    head_codes = _recovery_codes(head, "11112026", "22222026")
    ddets_agent = agent(office, "agent@ddets71.example").user
    agent_device = TOTPDevice.objects.create(user=ddets_agent, name="Téléphone", confirmed=True)
    agent_codes = _recovery_codes(ddets_agent, "33332026", "44442026")
    questions: list[str] = []
    answers = [False]  # the head first says no to the browser's question, then yes

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept() if (answers.pop(0) if answers else True) else dialog.dismiss()

    page.on("dialog", answer)

    # --- The head submits version 1 -----------------------------------------------------------
    _sign_in(j, head.email, f"{totp(head_device.bin_key):06d}")
    assert j.goto("/transmission/").status == 200
    assert j.accessibility_violations() == []
    assert f"Dispositif Alpha (IML-A) : {OFFICE}" in page.inner_text("main")
    ready = _row(page, "Versions prêtes à transmettre", "IML-A")
    assert "01/01/2025 – 31/12/2025" in ready and f"Transmettre à {OFFICE}" in ready
    assert "Aucun rapport transmis pour l’instant." in page.inner_text("main")
    j.shot("version prete")
    # « Non » to the question: nothing is submitted.
    page.click(f"button:has-text('Transmettre à {OFFICE}')")
    page.wait_for_timeout(300)
    assert questions == [QUESTION]
    assert not Submission.objects.exists()
    with page.expect_navigation():
        page.click(f"button:has-text('Transmettre à {OFFICE}')")
    assert questions == [QUESTION, QUESTION]
    main = page.inner_text("main")
    assert f"Rapport transmis à {OFFICE} (version 1)." in main
    assert "Aucune version prête non transmise" in main
    rows = page.locator("h2:has-text('Rapports transmis') + table tbody tr")
    assert rows.count() == 1
    assert _cells(rows.nth(0)) == {
        "Dispositif": "Dispositif Alpha (IML-A)", "Période": "01/01/2025 – 31/12/2025",
        "Version": "1", "État": "transmis", "Ouvert par la DDETS": "pas encore",
        "Commentaire de la DDETS": "—",
    }  # fmt: skip
    j.shot("version 1 transmise")
    first = Submission.objects.get()
    assert (first.number, first.status, first.institution) == (1, "transmis", office)

    # --- The DDETS's agent opens it, downloads the PDF, returns it --------------------------------
    _sign_in(j, ddets_agent.email, f"{totp(agent_device.bin_key):06d}")
    assert page.url == f"{j.base_url}/financeur/"
    assert j.accessibility_violations() == []
    main = page.inner_text("main")
    assert OFFICE in page.inner_text("h1") and "1 transmis" in main
    row = _row(page, "Rapports 2025 des dispositifs financés", "IML-A")
    assert "Association Alpha" in row and "Dispositif Alpha (IML-A)" in row
    assert "transmis — ouvrir la version 1" in row
    j.shot("tableau ddets")
    with page.expect_navigation():
        page.click("a:has-text('ouvrir la version 1')")
    assert page.url == f"{j.base_url}/financeur/rapports/{first.public_id}/"
    assert j.accessibility_violations() == []
    assert "version 1 transmise le" in page.inner_text("main")
    j.shot("rapport version 1")
    with page.expect_download() as download:
        page.click("a:has-text('Télécharger le PDF')")
    assert download.value.suggested_filename == "rapport-alpha-IML-A-20250101-v1.pdf"
    assert download.value.path().read_bytes() == PDF
    # The comment is required to return the report: the browser says so first.
    page.click("button:has-text('Renvoyer pour correction')")
    assert page.locator("textarea[name=comment]").evaluate("e => e.validity.valueMissing")
    page.fill("textarea[name=comment]", COMMENT)
    j.shot("renvoi avec commentaire")
    with page.expect_navigation():
        page.click("button:has-text('Renvoyer pour correction')")
    main = page.inner_text("main")
    assert "Rapport renvoyé à l’opérateur avec votre commentaire." in main
    assert "État : renvoyé pour correction le" in main
    assert COMMENT in page.inner_text("main blockquote")
    assert page.locator("button:has-text('Accuser réception')").count() == 0
    assert "Ce rapport n’attend plus d’avis." in main
    j.shot("rapport renvoye")

    # --- The head reads the comment and submits a corrected version ----------------------------
    _sign_in(j, head.email, head_codes[0])
    j.goto("/transmission/")
    returned = _row(page, "Rapports transmis", "IML-A")
    assert "renvoyé pour correction le" in returned and COMMENT in returned
    assert re.search(r"le \d\d/\d\d/\d{4}", returned.split("renvoyé pour correction")[1])
    assert "pas encore" not in returned  # the DDETS opened it
    j.shot("renvoi lu par le responsable")
    with organisation_transaction(org):
        ready_version(dispositif, head, figures=figures_with(present_at_end=14, entered=6,
                                                            exited=5))  # fmt: skip
    j.goto("/transmission/")
    with page.expect_navigation():
        page.click(f"button:has-text('Transmettre à {OFFICE}')")
    assert questions == [QUESTION] * 3
    assert f"Rapport transmis à {OFFICE} (version 2)." in page.inner_text("main")
    rows = page.locator("h2:has-text('Rapports transmis') + table tbody tr")
    assert rows.count() == 2
    assert (_cells(rows.nth(0))["Version"], _cells(rows.nth(0))["État"]) == ("2", "transmis")
    assert _cells(rows.nth(1))["Version"] == "1"
    assert _cells(rows.nth(1))["État"].startswith("renvoyé pour correction le ")
    assert j.accessibility_violations() == []
    j.shot("version 2 transmise")

    # --- The agent sees version 2 beside version 1, and acknowledges it --------------------------
    second = Submission.objects.get(number=2)
    _sign_in(j, ddets_agent.email, agent_codes[0])
    row = _row(page, "Rapports 2025 des dispositifs financés", "IML-A")
    assert "transmis — ouvrir la version 2" in row
    with page.expect_navigation():
        page.click("a:has-text('ouvrir la version 2')")
    assert page.url == f"{j.base_url}/financeur/rapports/{second.public_id}/"
    versions = page.locator("h2:has-text('Versions transmises pour cette période') + table")
    lines = versions.locator("tbody tr")
    assert lines.count() == 2
    assert "2 (affichée)" in lines.nth(0).inner_text()
    assert "transmis" in lines.nth(0).inner_text()
    assert "renvoyé pour correction" in lines.nth(1).inner_text()
    assert COMMENT in lines.nth(1).inner_text()
    assert lines.nth(1).locator("a", has_text="1").get_attribute("href") == (
        f"/financeur/rapports/{first.public_id}/"
    )
    assert j.accessibility_violations() == []
    j.shot("version 2 et version 1")
    with page.expect_navigation():
        page.click("button:has-text('Accuser réception')")
    main = page.inner_text("main")
    assert "Réception du rapport confirmée à l’opérateur." in main
    assert "État : reçu par la DDETS le" in main
    assert "reçu par la DDETS" in lines.nth(0).inner_text()
    j.shot("accuse de reception")
    j.goto("/")  # an agent's « / » is the funder's home
    assert page.url == f"{j.base_url}/financeur/"
    assert "reçu par la DDETS — ouvrir la version 2" in _row(
        page, "Rapports 2025 des dispositifs financés", "IML-A"
    )
    assert j.goto("/financeur/journal/").status == 200
    assert j.accessibility_violations() == []
    log = page.inner_text("main table")
    assert "rapport-pdf" in log and "export" in log and "consultation" in log
    j.shot("journal des consultations")

    # --- The head sees it received ----------------------------------------------------------------
    _sign_in(j, head.email, head_codes[1])
    j.goto("/transmission/")
    rows = page.locator("h2:has-text('Rapports transmis') + table tbody tr")
    assert "reçu par la DDETS le" in rows.nth(0).inner_text()
    assert "renvoyé pour correction" in rows.nth(1).inner_text()
    j.shot("recu par la ddets")
    assert j.goto("/transmission/reperes/").status == 200
    assert j.accessibility_violations() == []
    assert "Vos chiffres 2025 et ceux de la région" in page.inner_text("h1")
    j.shot("reperes")
    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, second.status) == ("renvoye", "recu")
    assert second.reviewed_by == ddets_agent
    assert j.console_errors == []


def test_dreets_regional_review_is_accessible(audit_journey, world):
    j, page = audit_journey, audit_journey.page
    org, head, _, dispositif = _funded(world)
    with organisation_transaction(org):
        submitted(dispositif, head)
    regional = agent(dreets("27"), "agent@dreets27.example").user
    code = _recovery_codes(regional, "55552026")[0]

    _sign_in(j, regional.email, code)
    assert page.url == f"{j.base_url}/financeur/"
    assert j.accessibility_violations() == []
    assert j.goto("/financeur/revue-regionale/").status == 200
    assert "Revue régionale 2025 — Bourgogne-Franche-Comté" in page.inner_text("h1")
    assert "1 dispositif de 1 opérateur." in page.inner_text("main")
    assert j.accessibility_violations() == []
    j.shot("revue regionale")
    with page.expect_download() as download:
        page.click("a:has-text('Exporter la revue (XLSX)')")
    assert download.value.path().read_bytes()[:2] == b"PK"
    assert j.console_errors == []


def test_funder_pages_fit_a_phone(phone_journey, world):
    j, page = phone_journey, phone_journey.page
    org, head, office, dispositif = _funded(world)
    with organisation_transaction(org):
        shown = submitted(dispositif, head)
    head_code = _recovery_codes(head, "66662026")[0]
    ddets_code = _recovery_codes(agent(office, "agent@ddets71.example").user, "77772026")[0]
    dreets_code = _recovery_codes(agent(dreets("27"), "agent@dreets27.example").user,
                                  "88882026")[0]  # fmt: skip
    too_wide = {}
    for email, code, paths in (
        ("agent@ddets71.example", ddets_code,
         ["/financeur/", f"/financeur/rapports/{shown.public_id}/", "/financeur/journal/"]),
        ("agent@dreets27.example", dreets_code, ["/financeur/revue-regionale/"]),
        (head.email, head_code, ["/transmission/", "/transmission/reperes/"]),
    ):  # fmt: skip
        _sign_in(j, email, code)
        for path in paths:
            assert j.goto(path).status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > page.viewport_size["width"]:
                too_wide[path] = width
                j.shot(path)
    assert too_wide == {}
