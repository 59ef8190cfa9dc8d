"""« Parcours de relogement »: the road out of the report's households (demands, proposals, time
from the first proposal to the exit, follow-ups), in the PDF and the workbook, never in the
JSON form. Every expected figure is worked out by hand below.

Period 2024-01-01 → 2024-12-31 (a leap year), dispositif IML-A of organisation A; time frozen
on 2025-03-15, so that answers, closings and contacts after the period exist.

| ref | entry | exit | demand | proposals (received, what became of it) | follow-ups |
|---|---|---|---|---|---|
| HA | 2023-06-01 | — | filed 2024-03-01: active | P1 04-01 accepted, CAL rang 1; P9 12-20 accepted, CAL rang 2; P10 2025-01-10 (after) | |
| HB | 2023-01-10 | — | filed 2023-06-01, lapsed 2024-06-01 | P2 05-01 refused trop_loin 05-10 | |
| HC | 2022-05-01 | — | filed 2023-09-01, closed 2024-10-01 | P3 06-01 refused trop_cher 06-05 | |
| HD | 2023-02-15 | — | filed 2023-02-01, renewed 2024-01-15: active | P4 07-01 refused trop_loin 07-03 | |
| HE | 2024-02-01 | — | filed 2024-02-01, closed 2025-02-01 (after): active | P5 11-01 awaiting | |
| HF | 2024-03-01 | — | none | P6 12-01 refused (etat) 2025-01-05: awaiting at end | |
| HG | 2024-04-01 | — | filed 2025-01-10 (after): not active | P7 08-01 accepted, CAL ajournée | |
| HX | 2023-01-01 | 2024-09-30 | filed 2024-05-01 (not present at end) | P0 2023-11-15 refused (before), P8 03-01 accepted, private | m1 10-30 ✓, m3 12-30 ✓ |
| HY | 2023-09-01 | 2024-06-30 | | PY 02-01 accepted, CAL rang 1 | m1 07-31 ✓, m3 09-30 ?, m6 2025-01-05 (after) |
| HZ | 2023-09-01 | 2024-05-15 | | PZ 06-01 (after its exit) awaiting | |
| HW | 2023-10-01 | 2024-03-31 | | PW 03-31 (its exit day) accepted, private | m1 04-30, m3 06-30, m6 09-30 ✗ |
| HV | 2022-01-01 | 2023-12-31 | | PV 2023-10-01 (exited before the period) | m1 02-01 ✓, m3 03-30 ✓, m6 06-30 ✓ |
| HS | 2022-06-01 | 2023-07-15 | | | m6 2024-01-16 (not recorded) |
| HT | 2022-06-01 | 2023-06-30 | | | m6 2023-12-30 (before the period) |
| HQ | — (waiting) | — | filed 2024-01-10: active, not present | | |

Plus, counted nowhere: HO in another dispositif of A, and HB2 in organisation B (a dispositif
also coded IML-A), each with a live demand, a refused proposal, an exit after a proposal and a
6-month follow-up.

Expected:
- present at end: HA HB HC HD HE HF HG = 7; with an active demand: HA, HD, HE = 3 (HB lapsed,
  HC closed, HF none, HG filed after the end; HX exited, HQ not entered): 3 / 7 = 42.857 → 42.9 %.
- proposals received in 2024: P1 P2 P3 P4 P5 P6 P7 P8 P9 PY PZ PW = 12 (not P0, P10, PV);
  accepted P1 P8 PY PW = 4; accepted without attribution P7 P9 = 2; refused P2 P3 P4 = 3
  (trop_loin 2, trop_cher 1); awaiting at end P5 P6 PZ = 3. 4 + 2 + 3 + 3 = 12.
- first proposal to exit, households exited in 2024 with a proposal on or before the exit: HX
  (P0 2023-11-15 → 2024-09-30: 320 days), HY (2024-02-01 → 2024-06-30: 150), HW (same day: 0);
  not HZ (its proposal came after), not HV (exited before). 470 / 3 = 156.67 → 156.7 days;
  470 / 3 / 30.4375 = 5.147 → 5.1 months.
- follow-ups contacted in 2024: 1 month HX HY HW HV = 4; 3 months HX HY HW HV = 4; 6 months
  HW HV HS = 3 (HY's after, HT's before). At 6 months: contacted 3, housed 1 (HV), not housed
  1 (HW), not recorded 1 (HS): 1 / 3 = 33.3 %.
"""  # noqa: E501

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from freezegun import freeze_time
from openpyxl import load_workbook

from iml.codes import CalDecision, Parc, ProposalAnswer, RefusalReason
from iml.rls import organisation_transaction
from iml.scoping import organisation_context
from rehousing.figures import q_demand_active_at
from rehousing.models import FollowUp, HousingDemand, Proposal
from reporting import outputs, services
from reporting.compute import compute_report
from reporting.definitions import ReportScope
from reporting.models import ReportStatus
from reporting.rehousing_section import rehousing_figures
from tests.factories import DispositifFactory
from tests.reporting.example_figures import example_figures
from tests.reporting.factories import EXPECTED, household
from tests.reporting.test_outputs import pdf_text, workbook_tables

D = datetime.date
START, END = D(2024, 1, 1), D(2024, 12, 31)
SHEET = "13. Parcours de relogement"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_today")]


@pytest.fixture
def _today():
    with freeze_time("2025-03-15 10:00"):
        yield


# --- Builders -------------------------------------------------------------------------------


def _create(model, home, **fields):
    """A row of ``model`` for the household ``home``, written as its organisation."""
    with organisation_transaction(home.organisation):
        return model.all_organisations.create(
            organisation=home.organisation, household=home, **fields
        )


def demand(home, filed_on, **fields) -> HousingDemand:
    return _create(HousingDemand, home, number="080 24 01 00012345", filed_on=filed_on, **fields)


def proposal(home, received_on, *, answer=ProposalAnswer.EN_ATTENTE, answered_on=None,
             cal=CalDecision.EN_ATTENTE, parc=Parc.PUBLIC, reason="") -> Proposal:  # fmt: skip
    return _create(
        Proposal, home, landlord="OPAC", parc=parc, address="1 rue des Lilas", city="Amiens",
        typology="t2", received_on=received_on, cal_decision=cal, answer=answer,
        answered_on=answered_on, refusal_reason=reason,
    )  # fmt: skip


def accepted(home, received_on, answered_on, *, cal=CalDecision.ATTRIBUEE, parc=Parc.PUBLIC):
    return proposal(home, received_on, answer=ProposalAnswer.ACCEPTEE, answered_on=answered_on,
                    cal=cal, parc=parc)  # fmt: skip


def refused(home, received_on, answered_on, reason) -> Proposal:
    return proposal(home, received_on, answer=ProposalAnswer.REFUSEE, answered_on=answered_on,
                    reason=reason)  # fmt: skip


def follow_up(home, months, contacted_on, housed) -> FollowUp:
    return _create(FollowUp, home, months=months, contacted_on=contacted_on, housed=housed)


def build(dispositif) -> None:
    """The table of the module's docstring."""

    def home(reference, entry=None, exit=None, **fields):
        return household(dispositif, reference, entry_date=entry, exit_date=exit,
                         exit_destination="logement_social" if exit else "", **fields)  # fmt: skip

    ha = home("HA", D(2023, 6, 1))
    demand(ha, D(2024, 3, 1))
    accepted(ha, D(2024, 4, 1), D(2024, 4, 20))  # P1
    accepted(ha, D(2024, 12, 20), D(2024, 12, 22), cal=CalDecision.ATTRIBUEE_RANG)  # P9
    accepted(ha, D(2025, 1, 10), D(2025, 1, 12))  # P10, after the period

    hb = home("HB", D(2023, 1, 10))
    demand(hb, D(2023, 6, 1))  # lapsed on 2024-06-01
    refused(hb, D(2024, 5, 1), D(2024, 5, 10), RefusalReason.TROP_LOIN)  # P2

    hc = home("HC", D(2022, 5, 1))
    demand(hc, D(2023, 9, 1), closed_on=D(2024, 10, 1))
    refused(hc, D(2024, 6, 1), D(2024, 6, 5), RefusalReason.TROP_CHER)  # P3

    hd = home("HD", D(2023, 2, 15))
    demand(hd, D(2023, 2, 1), renewed_on=D(2024, 1, 15))
    refused(hd, D(2024, 7, 1), D(2024, 7, 3), RefusalReason.TROP_LOIN)  # P4

    he = home("HE", D(2024, 2, 1))
    demand(he, D(2024, 2, 1), closed_on=D(2025, 2, 1))  # closed after the period
    proposal(he, D(2024, 11, 1))  # P5

    hf = home("HF", D(2024, 3, 1))
    refused(hf, D(2024, 12, 1), D(2025, 1, 5), RefusalReason.ETAT)  # P6: refused after the end

    hg = home("HG", D(2024, 4, 1))
    demand(hg, D(2025, 1, 10))
    accepted(hg, D(2024, 8, 1), D(2024, 8, 10), cal=CalDecision.AJOURNEE)  # P7

    hx = home("HX", D(2023, 1, 1), D(2024, 9, 30))
    demand(hx, D(2024, 5, 1))
    refused(hx, D(2023, 11, 15), D(2024, 1, 10), RefusalReason.TYPOLOGIE)  # P0, before
    accepted(hx, D(2024, 3, 1), D(2024, 3, 5), cal=CalDecision.EN_ATTENTE, parc=Parc.PRIVE)  # P8
    follow_up(hx, 1, D(2024, 10, 30), True)
    follow_up(hx, 3, D(2024, 12, 30), True)

    hy = home("HY", D(2023, 9, 1), D(2024, 6, 30))
    accepted(hy, D(2024, 2, 1), D(2024, 3, 1))  # PY
    follow_up(hy, 1, D(2024, 7, 31), True)
    follow_up(hy, 3, D(2024, 9, 30), None)
    follow_up(hy, 6, D(2025, 1, 5), True)  # after the period

    hz = home("HZ", D(2023, 9, 1), D(2024, 5, 15))
    proposal(hz, D(2024, 6, 1))  # PZ, after its exit

    hw = home("HW", D(2023, 10, 1), D(2024, 3, 31))
    accepted(hw, D(2024, 3, 31), D(2024, 3, 31), cal=CalDecision.EN_ATTENTE, parc=Parc.PRIVE)
    follow_up(hw, 1, D(2024, 4, 30), True)
    follow_up(hw, 3, D(2024, 6, 30), True)
    follow_up(hw, 6, D(2024, 9, 30), False)

    hv = home("HV", D(2022, 1, 1), D(2023, 12, 31))
    accepted(hv, D(2023, 10, 1), D(2023, 10, 5))  # PV
    follow_up(hv, 1, D(2024, 2, 1), True)
    follow_up(hv, 3, D(2024, 3, 30), True)
    follow_up(hv, 6, D(2024, 6, 30), True)

    follow_up(home("HS", D(2022, 6, 1), D(2023, 7, 15)), 6, D(2024, 1, 16), None)
    follow_up(home("HT", D(2022, 6, 1), D(2023, 6, 30)), 6, D(2023, 12, 30), True)

    demand(home("HQ"), D(2024, 1, 10))  # oriented, never entered


def build_elsewhere(dispositif, reference: str) -> None:
    """A household of another dispositif or organisation with a bit of everything."""
    present = household(dispositif, reference, entry_date=D(2023, 1, 1))
    demand(present, D(2024, 6, 1))
    refused(present, D(2024, 6, 2), D(2024, 6, 3), RefusalReason.SANTE)
    accepted(present, D(2024, 7, 1), D(2024, 7, 2))
    gone = household(dispositif, f"{reference}-out", entry_date=D(2023, 1, 1),
                     exit_date=D(2024, 4, 1), exit_destination="logement_social")  # fmt: skip
    accepted(gone, D(2024, 2, 1), D(2024, 2, 2))
    follow_up(gone, 1, D(2024, 5, 1), True)
    follow_up(gone, 6, D(2024, 10, 1), False)


@pytest.fixture
def dataset(org_a, org_b, dispositif_a):
    build(dispositif_a)
    build_elsewhere(DispositifFactory(organisation=org_a, code="IML-B"), "HO")
    with organisation_context(org_b):
        build_elsewhere(DispositifFactory(organisation=org_b, code="IML-A"), "HB2")
    return dispositif_a


EXPECTED_REHOUSING: dict[str, Any] = {
    "end": "2024-12-31",
    "demands": {"present_at_end": 7, "active_at_end": 3, "active_share": 42.9},
    "proposals": {
        "received": 12,
        "accepted": 4,
        "accepted_not_attributed": 2,
        "refused": 3,
        "waiting": 3,
        "refused_by_reason": {
            "trop_loin": 2,
            "trop_cher": 1,
            "typologie": 0,
            "etat": 0,
            "sante": 0,
            "scolarite": 0,
            "autre": 0,
        },
    },
    "first_proposal_to_exit": {"households": 3, "average_days": 156.7, "average_months": 5.1},
    "follow_ups": {
        "by_milestone": {"1": 4, "3": 4, "6": 3},
        "last_milestone": {
            "months": 6,
            "contacted": 3,
            "housed": 1,
            "not_housed": 1,
            "unknown": 1,
            "housed_share": 33.3,
        },
    },
}


# --- The figures ----------------------------------------------------------------------------


def test_the_figures_of_the_dataset(dataset):
    assert rehousing_figures(ReportScope(dataset, START, END)) == EXPECTED_REHOUSING


def test_the_figures_take_a_constant_number_of_queries(
    org_a, dispositif_a, django_assert_num_queries
):
    scope = ReportScope(dispositif_a, START, END)
    with django_assert_num_queries(4):
        empty = rehousing_figures(scope)
    build(dispositif_a)
    with django_assert_num_queries(4):
        assert rehousing_figures(scope) == EXPECTED_REHOUSING
    assert empty["proposals"]["received"] == 0
    assert empty["demands"]["active_share"] is None
    assert empty["first_proposal_to_exit"] == {
        "households": 0,
        "average_days": None,
        "average_months": None,
    }
    assert empty["follow_ups"]["last_milestone"]["housed_share"] is None


@pytest.mark.parametrize(
    ("filed", "renewed", "closed", "day", "active"),
    [
        (D(2024, 2, 29), None, None, D(2025, 2, 27), True),
        (D(2024, 2, 29), None, None, D(2025, 2, 28), False),  # a year later: 28 February
        (D(2023, 3, 1), D(2024, 2, 29), None, D(2025, 2, 28), False),
        (D(2024, 3, 1), None, None, D(2024, 2, 29), False),  # not filed yet
        (D(2024, 3, 1), None, None, D(2024, 3, 1), True),
        (D(2024, 3, 1), None, D(2024, 6, 1), D(2024, 6, 1), False),  # closed that day
        (D(2024, 3, 1), None, D(2024, 6, 1), D(2024, 5, 31), True),
    ],
)
def test_a_demand_is_active_until_it_lapses_or_is_closed(
    org_a, dispositif_a, filed, renewed, closed, day, active
):
    home = household(dispositif_a, "H", entry_date=D(2023, 1, 1))
    row = demand(home, filed, renewed_on=renewed, closed_on=closed)
    assert HousingDemand.objects.filter(q_demand_active_at(day)).exists() is active
    if closed is None:  # the model's rule reads no closing date, only whether there is one
        assert row.is_active(day) is active


def test_an_accepted_proposal_is_the_models_accepted(org_a, dispositif_a):
    """Every answer, decision and parc: the report's « accepted » is ``Proposal.accepted``."""
    from rehousing.figures import Q_ACCEPTED

    home = household(dispositif_a, "H", entry_date=D(2023, 1, 1))
    for answer in ProposalAnswer.values:
        for cal in CalDecision.values:
            for parc in Parc.values:
                proposal(home, D(2024, 1, 1), answer=answer, cal=cal, parc=parc,
                         answered_on=None if answer == "en_attente" else D(2024, 1, 2),
                         reason="autre" if answer == "refusee" else "")  # fmt: skip
    rows = list(Proposal.objects.all())
    assert len(rows) == 30
    expected = {row.pk for row in rows if row.accepted}
    assert len(expected) == 1 + 5  # accepted: public and attributed in first rank, or private
    assert set(Proposal.objects.filter(Q_ACCEPTED).values_list("pk", flat=True)) == expected


# --- The documents --------------------------------------------------------------------------


def _documents(dispositif) -> tuple[bytes, bytes]:
    rehousing = rehousing_figures(ReportScope(dispositif, START, END))
    figures = compute_report(dispositif, START, END)
    return (
        outputs.render(figures, "pdf", rehousing=rehousing),
        outputs.render(figures, "xlsx", rehousing=rehousing),
    )


def test_the_pdf_has_the_section(dataset):
    pdf, _ = _documents(dataset)
    text = " ".join(pdf_text(pdf).split())  # lines joined
    assert text.count("13. Parcours de relogement") >= 2  # in the contents and as a heading
    for expected in (
        "Ménages du dispositif : 12 propositions de logement reçues dans la période, dont 4 "
        "acceptées et attribuées ; 3 demandes de logement social actives au 31/12/2024 pour 7 "
        "ménages présents.",
        "Ménages présents au 31/12/2024 7",
        "Part des ménages présents avec une demande active 42,9 %",
        "Propositions reçues 12",
        "Dont refusées par le ménage 3",
        "Dont acceptées par le ménage, sans attribution de la commission 2",
        "Trop loin (travail, école, attaches) 2",
        "Trop cher 1",
        "Typologie inadaptée 0",
        "Délai moyen en jours 156,7",
        "Délai moyen en mois 5,1 mois",
        "Suivis à 1 mois 4",
        "Suivis à 3 mois 4",
        "Suivis à 6 mois 3",
        "Situation des ménages 6 mois après la sortie",
        "Dont toujours dans leur logement 1",
        "Dont plus dans leur logement 1",
        "Part des ménages contactés toujours dans leur logement 33,3 %",
    ):
        assert expected in text, expected


def test_the_workbook_has_the_section(dataset):
    _, xlsx = _documents(dataset)
    assert load_workbook(io.BytesIO(xlsx)).sheetnames[-1] == SHEET
    tables = workbook_tables(xlsx)[SHEET]
    assert tables["Demandes de logement social"] == {
        "present_at_end": [7],
        "active_at_end": [3],
        "active_share": [42.9],
    }
    assert tables["Propositions de logement reçues dans la période"] == {
        "received": [12],
        "accepted": [4],
        "accepted_not_attributed": [2],
        "refused": [3],
        "waiting": [3],
    }
    assert tables["Refus des ménages, par motif"] == {
        "trop_loin": [2],
        "trop_cher": [1],
        "typologie": [0],
        "etat": [0],
        "sante": [0],
        "scolarite": [0],
        "autre": [0],
        "total": [3],
    }
    assert tables["De la première proposition à la sortie"] == {
        "households": [3],
        "average_days": [156.7],
        "average_months": [5.1],
    }
    assert tables["Suivis après la sortie enregistrés dans la période"] == {
        "1": [4],
        "3": [4],
        "6": [3],
        "total": [11],
    }
    assert tables["Situation des ménages 6 mois après la sortie"] == {
        "contacted": [3],
        "housed": [1],
        "not_housed": [1],
        "unknown": [1],
        "housed_share": [33.3],
    }


def test_without_its_figures_the_documents_have_no_such_section():
    """A rendering from the figures alone (what a caller without them does) is unchanged."""
    text = pdf_text(outputs.render(example_figures(), "pdf"))
    assert "Parcours de relogement" not in text
    xlsx = outputs.render(example_figures(), "xlsx")
    assert SHEET not in load_workbook(io.BytesIO(xlsx)).sheetnames


# --- The JSON form does not change ----------------------------------------------------------

OPEN_ENDED = ("resources", "orienting_structures", "nationalities", "by_sector_at_end")


def _keys(value, path=""):
    """The keys of a report, the open-ended breakdowns' own keys left out."""
    if isinstance(value, dict):
        if path.rsplit(".", 1)[-1] in OPEN_ENDED:
            return "open"
        return {key: _keys(item, f"{path}.{key}") for key, item in value.items()}
    return None


def test_the_json_form_has_no_new_key(dataset):
    """The keys of the hand-made reference report (tests/reporting/factories.py), no more."""
    figures = compute_report(dataset, START, END)
    assert _keys(figures) == _keys(EXPECTED)
    rehousing = rehousing_figures(ReportScope(dataset, START, END))
    assert outputs.render(figures, "json", rehousing=rehousing) == outputs.render(figures, "json")
    assert json.loads(outputs.render(figures, "json", rehousing=rehousing)) == figures
    out = io.StringIO()
    call_command("annual_report", "--organisation", "alpha", "--dispositif", "IML-A",
                 "--start", "2024-01-01", "--end", "2024-12-31", stdout=out)  # fmt: skip
    printed = json.loads(out.getvalue())
    assert _keys(printed) == _keys(EXPECTED)
    assert "relogement" not in json.dumps(printed) and "proposal" not in json.dumps(printed)


def test_a_version_has_the_section_in_its_documents_not_in_its_figures(dataset, head_a):
    version = services.version_request(dispositif=dataset, start=START, end=END, by=head_a.user)
    assert services.version_build(version.pk) == ReportStatus.READY
    version.refresh_from_db()
    assert _keys(version.figures) == _keys(EXPECTED)
    assert "Part des ménages contactés toujours dans leur logement 33,3 %" in pdf_text(
        bytes(version.pdf)
    )
    tables = workbook_tables(bytes(version.xlsx))[SHEET]
    assert tables["Propositions de logement reçues dans la période"]["received"] == [12]


def test_the_page_and_the_command_show_the_same_section(dataset, client, members_a, tmp_path):
    """Every surface of the report reads the section from ``rehousing_figures``: the page
    and the command's PDF show the dataset's figures (counted by hand above)."""
    from django.urls import reverse

    from iml.models import Role
    from tests.conftest import login

    login(client, members_a[Role.HEAD])
    page = client.get(reverse("reporting:report_page"), {
        "dispositif": dataset.public_id, "du": START.isoformat(), "au": END.isoformat(),
    }).content.decode()  # fmt: skip
    assert "Parcours de relogement" in page
    assert "Trop loin (travail, école, attaches)" in page and "156,7" in page
    target = tmp_path / "rapport.pdf"
    call_command("annual_report", "--organisation", "alpha", "--dispositif", dataset.code,
                 "--start", START.isoformat(), "--end", END.isoformat(), "--format", "pdf",
                 "--output", str(target))  # fmt: skip
    text = " ".join(pdf_text(target.read_bytes()).split())
    assert "Délai moyen en jours 156,7" in text and "Propositions reçues 12" in text
