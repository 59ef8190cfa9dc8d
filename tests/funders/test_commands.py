"""The funder side's commands: ``submit_report`` (a real version built, then submitted),
``regional_review`` (JSON and XLSX, the aggregates summed here by hand from the figures
given), ``create_institution`` and ``invite_funder_agent``."""

from __future__ import annotations

import copy
import datetime
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from funders import services
from funders.models import Submission
from iml.models import FunderAgent, Institution, Role, User
from iml.scoping import organisation_context
from reporting.models import ReportStatus, ReportVersion
from tests.factories import (
    DispositifFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
)
from tests.funders.helpers import agent, ddets, figures_with, funder_block, submitted
from tests.funders.test_funder_block import EXPECTED as FUNDER_BLOCK
from tests.funders.test_funder_block import build

D = datetime.date


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- submit_report --------------------------------------------------------------------------

PERIOD_2024 = ["--start", "2024-01-01", "--end", "2024-12-31"]


@pytest.fixture
def funded_a(org_a):
    """Alpha's IML-A, funded by the DDETS of Saône-et-Loire, with the dataset of the funder's
    block tests (tests/funders/test_funder_block.py)."""
    dispositif = DispositifFactory(
        organisation=org_a, code="IML-A", name="Dispositif Alpha", places=9, ddets=ddets("71")
    )
    build(dispositif)
    return dispositif


def test_submit_report_builds_a_version_and_submits_it(funded_a, members_a):
    head = members_a[Role.HEAD].user
    out, _ = run("submit_report", "--organisation", "alpha", "--dispositif", "IML-A",
                 *PERIOD_2024)  # fmt: skip
    assert out == "Rapport IML-A 01/01/2024–31/12/2024 transmis à DDETS ddets-71 (version 1).\n"
    submission = Submission.objects.get()
    version = ReportVersion.objects.get()
    assert version.status == ReportStatus.READY and version.created_by == head
    assert submission.source_version == version.public_id
    assert (submission.status, submission.number, submission.year) == ("transmis", 1, 2024)
    assert (submission.start, submission.end) == (D(2024, 1, 1), D(2024, 12, 31))
    assert (submission.departement, submission.region) == ("71", "27")
    assert (submission.organisation_slug, submission.dispositif_code) == ("alpha", "IML-A")
    assert submission.institution == ddets("71") and submission.places == 9
    assert submission.submitted_by == head
    # The frozen version's figures, computed for real: the funder's block of the dataset, and
    # the households H1 H2 H5 H6 H10 present at the end, H4 H5 H6 entered, H3 H4 H9 exited.
    assert submission.funder_figures == FUNDER_BLOCK == version.funder_figures
    assert submission.figures == version.figures
    assert submission.figures["households"]["present_at_end"] == 5
    assert submission.figures["households"]["entered"] == 3
    assert submission.figures["households"]["exited"] == 3
    assert bytes(submission.pdf).startswith(b"%PDF") and bytes(submission.pdf) == bytes(version.pdf)


def test_submit_report_again_replaces_the_waiting_one_and_names_the_head_given(funded_a, members_a):
    second_head = MembershipFactory(
        organisation=funded_a.organisation, role=Role.HEAD, user__email="cheffe2@alpha.example"
    ).user
    run("submit_report", "--organisation", "alpha", "--dispositif", "IML-A", *PERIOD_2024)
    out, _ = run("submit_report", "--organisation", "alpha", "--dispositif", "IML-A",
                 *PERIOD_2024, "--by", "  Cheffe2@Alpha.example ")  # fmt: skip
    assert out.endswith("(version 2).\n")
    first, second = Submission.objects.order_by("number")
    assert (first.status, second.status) == ("remplace", "transmis")
    assert first.submitted_by == members_a[Role.HEAD].user
    assert second.submitted_by == second_head


@pytest.fixture
def beta_funded(org_b):
    return DispositifFactory(organisation=org_b, code="IML-B", ddets=ddets("80"))


REFUSALS = [
    (
        ["--organisation", "inconnue", "--dispositif", "IML-A"],
        "Organisation inconnue : « inconnue ».",
    ),
    (
        ["--organisation", "alpha", "--dispositif", "NOPE"],
        "Dispositif inconnu dans Association Alpha : « NOPE ».",
    ),
    # Another organisation's dispositif is unknown here.
    (
        ["--organisation", "alpha", "--dispositif", "IML-B"],
        "Dispositif inconnu dans Association Alpha : « IML-B ».",
    ),
    # Bêta has no member at all.
    (
        ["--organisation", "beta", "--dispositif", "IML-B"],
        "Aucun·e chef·fe de service actif·ve dans Association Bêta : seul·e un·e chef·fe "
        "transmet le rapport.",
    ),
    (
        ["--organisation", "alpha", "--dispositif", "IML-A", "--by", "social_worker@alpha.example"],
        "Aucun·e chef·fe de service actif·ve « social_worker@alpha.example » dans "
        "Association Alpha",
    ),
    (
        ["--organisation", "alpha", "--dispositif", "IML-A", "--by", "nobody@alpha.example"],
        "Aucun·e chef·fe de service actif·ve « nobody@alpha.example »",
    ),
]


@pytest.mark.parametrize(("args", "message"), REFUSALS)
def test_submit_report_refusals_write_nothing(funded_a, members_a, beta_funded, args, message):
    with pytest.raises(CommandError) as error:
        run("submit_report", *args, *PERIOD_2024)
    assert message in str(error.value)
    assert error.value.returncode == 1
    assert not Submission.objects.exists()
    for organisation in (funded_a.organisation, beta_funded.organisation):
        with organisation_context(organisation):  # versions are under row-level security
            assert not ReportVersion.objects.exists()


def test_submit_report_refuses_the_head_of_another_organisation(funded_a, members_a, org_b):
    # A head of Bêta (the same address could be typed by mistake) cannot submit for Alpha.
    MembershipFactory(organisation=org_b, role=Role.HEAD, user__email="cheffe@beta.example")
    with pytest.raises(CommandError, match=r"« cheffe@beta\.example » dans Association Alpha"):
        run("submit_report", "--organisation", "alpha", "--dispositif", "IML-A",
            *PERIOD_2024, "--by", "cheffe@beta.example")  # fmt: skip
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("period", "message"),
    [
        (["--start", "2024-12-31", "--end", "2024-01-01"],
         "La fin de la période précède son début."),
        (["--start", "2024-02-30", "--end", "2024-12-31"], "Date invalide : « 2024-02-30 »"),
        (["--start", "2021-01-01", "--end", "2024-12-31"], "deux ans"),
    ],
)  # fmt: skip
def test_submit_report_refuses_a_bad_period(funded_a, members_a, period, message):
    with pytest.raises(CommandError) as error:
        run("submit_report", "--organisation", "alpha", "--dispositif", "IML-A", *period)
    assert message in str(error.value)
    assert not Submission.objects.exists()
    assert not ReportVersion.all_organisations.exists()


def test_submit_report_refuses_a_dispositif_without_ddets(org_a, members_a):
    DispositifFactory(organisation=org_a, code="IML-SANS")
    with pytest.raises(CommandError, match="ne désigne pas de DDETS financeuse"):
        run("submit_report", "--organisation", "alpha", "--dispositif", "IML-SANS",
            *PERIOD_2024)  # fmt: skip
    assert not Submission.objects.exists()


def test_submit_report_refuses_an_inactive_ddets(org_a, members_a):
    somme = ddets("80")
    DispositifFactory(organisation=org_a, code="IML-S", ddets=somme)
    Institution.objects.filter(pk=somme.pk).update(is_active=False)
    with pytest.raises(CommandError, match="ne désigne pas de DDETS financeuse"):
        run("submit_report", "--organisation", "alpha", "--dispositif", "IML-S", *PERIOD_2024)
    assert not Submission.objects.exists()


# --- regional_review ------------------------------------------------------------------------

# What each report submitted for 2025 says (the values a funder sums), by dispositif code.
REPORTS = {
    "N1": {
        "households": {"present_at_end": 10, "entered": 6, "exited": 4},
        "perenne": 2, "transitoire": 1, "sans_solution": 1, "without_debt": 3,
        "units_at_end": 8, "vacant": 1, "theoretical": "40000.00", "average_units": 8.0,
        "withdrawn": 1, "exits_gt18": 1, "bail_glissant": 1,
        "funder": funder_block(
            units_at_end_by_management={"sous_location": 5, "bail_glissant": 1,
                                        "mandat_gestion": 2},
            captured_by_management={"sous_location": 1, "bail_glissant": 0, "mandat_gestion": 1},
            entries_oriented_by_siao=5, present_past_18_months=1, exit_stay_days=1500,
            stock={"unit_days": 2900, "available_place_days": 7000,
                   "occupied_place_days": 6000},
        ),
    },
    "S1": {
        "households": {"present_at_end": 17, "entered": 9, "exited": 3},
        "perenne": 1, "transitoire": 0, "sans_solution": 2, "without_debt": 2,
        "units_at_end": 12, "vacant": 0, "theoretical": "60000.00", "average_units": 12.0,
        "withdrawn": 2, "exits_gt18": 0, "bail_glissant": 0,
        "funder": funder_block(
            units_at_end_by_management={"sous_location": 10, "bail_glissant": 2,
                                        "mandat_gestion": 0},
            captured_by_management={"sous_location": 2, "bail_glissant": 0, "mandat_gestion": 0},
            entries_oriented_by_siao=8, present_past_18_months=2, exit_stay_days=1200,
            stock={"unit_days": 4380, "available_place_days": 4380,
                   "occupied_place_days": 4000},
        ),
    },
    "P1": {
        "households": {"present_at_end": 25, "entered": 11, "exited": 6},
        "perenne": 5, "transitoire": 0, "sans_solution": 0, "without_debt": 4,
        "units_at_end": 20, "vacant": 2, "theoretical": "100000.00", "average_units": 19.5,
        "withdrawn": 0, "exits_gt18": 3, "bail_glissant": 2,
        "funder": funder_block(
            units_at_end_by_management={"sous_location": 12, "bail_glissant": 3,
                                        "mandat_gestion": 5},
            captured_by_management={"sous_location": 1, "bail_glissant": 1, "mandat_gestion": 2},
            entries_oriented_by_siao=7, present_past_18_months=0, exit_stay_days=4000,
            stock={"unit_days": 7000, "available_place_days": 10950,
                   "occupied_place_days": 10000},
        ),
    },
}  # fmt: skip
# Reports that must not count: far larger, so that counting one would show.
NOT_COUNTED = {
    "households": {"present_at_end": 900, "entered": 900, "exited": 900},
    "perenne": 900, "transitoire": 0, "sans_solution": 0, "without_debt": 900,
    "units_at_end": 900, "vacant": 900, "theoretical": "900000.00", "average_units": 900.0,
    "withdrawn": 900, "exits_gt18": 900, "bail_glissant": 900,
    "funder": funder_block(exit_stay_days=900000, entries_oriented_by_siao=900),
}  # fmt: skip
PLACES = {"N1": 20, "S1": 12, "P1": 30}
CATEGORIES = ("perenne", "transitoire", "sans_solution", "autre", "inconnu")
MODES = ("sous_location", "bail_glissant", "mandat_gestion")


def figures_of(report: dict) -> dict:
    """The example figures with the values of ``report``."""
    figures = figures_with(**report["households"])
    exits = figures["exits"]
    exits["destination_categories"] = {c: report.get(c, 0) for c in CATEGORIES}
    exits["sinistralite"]["aucun"] = report["without_debt"]
    exits["stay_length"]["gt18"] = report["exits_gt18"]
    for code, row in exits["destinations"].items():
        row["bail_glissant"] = report["bail_glissant"] if code == "logement_social" else 0
    figures["orientations"]["withdrawn"] = {
        code: (report["withdrawn"] if code == "reorientation" else 0)
        for code in figures["orientations"]["withdrawn"]
    }
    figures["housing"]["units_at_end"] = report["units_at_end"]
    figures["housing"]["vacant_units_at_end"] = report["vacant"]
    figures["funding"]["theoretical"] = report["theoretical"]
    figures["funding"]["average_units"] = report["average_units"]
    return figures


def one_decimal(value: Fraction) -> float:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def share(part: int, whole: int) -> float | None:
    return one_decimal(Fraction(100 * part, whole)) if whole else None


def expected_area(codes: list[str], operators: int) -> dict:
    """The aggregate of the reports ``codes``, summed and derived here by hand."""
    reports = [REPORTS[code] for code in codes]

    def total(value) -> int:
        return sum(value(r) for r in reports)

    entered = total(lambda r: r["households"]["entered"])
    exited = total(lambda r: r["households"]["exited"])
    available = total(lambda r: r["funder"]["stock"]["available_place_days"])
    occupied = total(lambda r: r["funder"]["stock"]["occupied_place_days"])
    stay_days = total(lambda r: r["funder"]["exit_stay_days"])
    theoretical = sum(Decimal(r["theoretical"]) for r in reports)
    average_units = sum(Decimal(str(r["average_units"])) for r in reports)
    return {
        "dispositifs": len(codes),
        "operators": operators,
        "places": sum(PLACES[code] for code in codes),
        "units_at_end": total(lambda r: r["units_at_end"]),
        **{
            f"units_{mode}": total(lambda r, m=mode: r["funder"]["units_at_end_by_management"][m])
            for mode in MODES
        },
        "occupancy_rate": share(occupied, available),
        "vacant_units_at_end": total(lambda r: r["vacant"]),
        "present_at_end": total(lambda r: r["households"]["present_at_end"]),
        "entered": entered,
        "exited": exited,
        "siao_share": share(total(lambda r: r["funder"]["entries_oriented_by_siao"]), entered),
        "withdrawn": total(lambda r: r["withdrawn"]),
        # Days of stay over 30.4375 days a month, per exit.
        "average_stay": one_decimal(Fraction(stay_days) / Fraction("30.4375") / exited),
        "stays_past_18": total(lambda r: r["funder"]["present_past_18_months"] + r["exits_gt18"]),
        **{f"exits_{c}": total(lambda r, c=c: r.get(c, 0)) for c in CATEGORIES},
        "lasting_share": share(total(lambda r: r["perenne"]), exited),
        "exits_bail_glissant": total(lambda r: r["bail_glissant"]),
        "without_debt_share": share(total(lambda r: r["without_debt"]), exited),
        **{
            f"captured_{mode}": total(lambda r, m=mode: r["funder"]["captured_by_management"][m])
            for mode in MODES
        },
        "theoretical": str(theoretical.quantize(Decimal("0.01"))),
        "funding_per_unit": str(
            (theoretical / average_units).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        ),
    }


@pytest.fixture
def hauts_de_france(db):
    """Région 32: Nord (59) and Somme (80), a DDETS each; one dispositif in Saône-et-Loire
    (région 27). Every submission of 2025 the tests read, and those that must not count."""
    nord_ddets, somme_ddets, sl_ddets = ddets("59"), ddets("80"), ddets("71")
    nord = OrganisationFactory(slug="nord-logement", name="Nord Logement", departement="59")
    somme = OrganisationFactory(slug="somme-habitat", name="Somme Habitat", departement="80")
    picardie = OrganisationFactory(slug="picardie-iml", name="Picardie IML", departement="80")
    bourgogne = OrganisationFactory(slug="bourgogne", name="Bourgogne IML", departement="71")
    by = UserFactory(email="cheffe@operateurs.example")
    n1 = DispositifFactory(organisation=nord, code="N1", name="IML Lille", places=20,
                           ddets=nord_ddets)  # fmt: skip
    s1 = DispositifFactory(organisation=somme, code="S1", name="IML Amiens", places=12,
                           ddets=somme_ddets)  # fmt: skip
    s2 = DispositifFactory(organisation=somme, code="S2", name="IML Abbeville", places=8,
                           ddets=somme_ddets)  # fmt: skip
    p1 = DispositifFactory(organisation=picardie, code="P1", name="IML Picardie", places=30,
                           ddets=somme_ddets)  # fmt: skip
    DispositifFactory(organisation=picardie, code="P-NT", name="IML Péronne", ddets=somme_ddets)
    DispositifFactory(organisation=picardie, code="P-LIBRE", name="Sans DDETS")
    b1 = DispositifFactory(organisation=bourgogne, code="B1", ddets=sl_ddets)

    def submit(dispositif, report, **fields):
        return submitted(
            dispositif, by, figures=figures_of(report), funder=copy.deepcopy(report["funder"]),
            **fields,
        )  # fmt: skip

    agent_80 = agent(somme_ddets).user
    # N1: a first version, replaced by a corrected one (still waiting for the DDETS).
    replaced = submit(n1, NOT_COUNTED)
    current_n1 = submit(n1, REPORTS["N1"])
    # S1 submitted; S2 returned to the operator.
    current_s1 = submit(s1, REPORTS["S1"])
    returned = submit(s2, NOT_COUNTED)
    services.send_back(submission=returned, by=agent_80, comment="Les sorties manquent.")
    # P1: received by the DDETS; its 2024 report is another year's.
    current_p1 = submit(p1, REPORTS["P1"])
    services.acknowledge(submission=current_p1, by=agent_80)
    submit(p1, NOT_COUNTED, start=D(2024, 1, 1), end=D(2024, 12, 31))
    # Région 27.
    submit(b1, NOT_COUNTED)
    replaced.refresh_from_db()
    assert replaced.status == "remplace"
    return {"N1": current_n1, "S1": current_s1, "P1": current_p1}


def test_regional_review_json_sums_the_current_reports(hauts_de_france):
    out, _ = run("regional_review", "--region", "32", "--year", "2025", "--format", "json")
    review = json.loads(out)
    assert (review["region"], review["region_name"], review["year"]) == (
        "32", "Hauts-de-France", 2025,
    )  # fmt: skip
    aggregates = review["aggregates"]
    # Three operators (Nord Logement, Somme Habitat, Picardie IML), N1's corrected version
    # once, S2 returned and P1's 2024 report left out.
    assert aggregates["region"] == expected_area(["N1", "S1", "P1"], operators=3)
    assert aggregates["departements"]["59"] == expected_area(["N1"], operators=1)
    assert aggregates["departements"]["80"] == expected_area(["S1", "P1"], operators=2)
    # Checked once more against numbers worked out on paper: perenne (2 + 1 + 5) over exits
    # (4 + 3 + 6) = 8 / 13 = 61.5 %; entries of the SIAO 20 / 26 = 76.9 %.
    region = aggregates["region"]
    assert (region["present_at_end"], region["entered"], region["exited"]) == (52, 26, 13)
    assert (region["places"], region["units_sous_location"]) == (62, 27)
    assert (region["lasting_share"], region["siao_share"]) == (61.5, 76.9)
    assert region["occupancy_rate"] == 89.6  # 20 000 / 22 330
    assert region["average_stay"] == 16.9  # 6 700 / 30.4375 / 13 = 16.93
    assert region["funding_per_unit"] == "5063.29"  # 200 000 / 39.5
    # Every département of the région, the empty ones too.
    assert set(aggregates["departements"]) == {"02", "59", "60", "62", "80"}
    for code in ("02", "60", "62"):
        empty = aggregates["departements"][code]
        assert (empty["dispositifs"], empty["operators"], empty["present_at_end"]) == (0, 0, 0)
        assert empty["lasting_share"] is None and empty["average_stay"] is None


def test_regional_review_json_gives_each_dispositif_its_submitted_figures(hauts_de_france):
    review = json.loads(run("regional_review", "--region", "32", "--year", "2025")[0])
    dispositifs = review["dispositifs"]
    assert {slug: sorted(rows) for slug, rows in dispositifs.items()} == {
        "nord-logement": ["N1"],
        "somme-habitat": ["S1"],
        "picardie-iml": ["P1"],
    }
    owners = {"N1": "nord-logement", "S1": "somme-habitat", "P1": "picardie-iml"}
    for code, submission in hauts_de_france.items():
        row = dispositifs[owners[code]][code]
        submission.refresh_from_db()
        assert row["figures"] == figures_of(REPORTS[code])
        assert row["funder_figures"] == REPORTS[code]["funder"]
        assert row["period"] == {"start": "2025-01-01", "end": "2025-12-31"}
        assert row["places"] == PLACES[code]
        assert row["submitted_at"] == submission.submitted_at.isoformat()
        assert row["key_figures"] == {
            key: value
            for key, value in expected_area([code], operators=1).items()
            if key not in ("dispositifs", "operators")
        }
    assert dispositifs["nord-logement"]["N1"]["version"] == 2
    assert dispositifs["nord-logement"]["N1"]["departement"] == "59"
    assert dispositifs["picardie-iml"]["P1"]["status"] == "recu"
    assert dispositifs["somme-habitat"]["S1"]["status"] == "transmis"
    assert dispositifs["somme-habitat"]["S1"]["departement"] == "80"
    # Not yet submitted for 2025 (or returned); the dispositif without a DDETS is not funded.
    assert review["not_submitted"] == [
        {"organisation": "picardie-iml", "dispositif": "P-NT", "departement": "80",
         "status": "non_transmis"},
        {"organisation": "somme-habitat", "dispositif": "S2", "departement": "80",
         "status": "renvoye"},
    ]  # fmt: skip
    assert "bourgogne" not in json.dumps(review)


def test_regional_review_json_to_a_file(hauts_de_france, tmp_path):
    target = tmp_path / "revue.json"
    out, err = run("regional_review", "--region", "32", "--year", "2025", "--output",
                   str(target))  # fmt: skip
    assert out == "" and str(target) in err
    review = json.loads(target.read_text(encoding="utf-8"))
    assert review["aggregates"]["region"]["dispositifs"] == 3


def test_regional_review_of_another_region_and_year(hauts_de_france):
    review = json.loads(run("regional_review", "--region", "27", "--year", "2025")[0])
    assert list(review["dispositifs"]) == ["bourgogne"]
    assert review["aggregates"]["region"]["present_at_end"] == 900
    review = json.loads(run("regional_review", "--region", "32", "--year", "2024")[0])
    # 2024: P1's report only (not counted in 2025); N1, S1, S2, P-NT not submitted.
    assert review["aggregates"]["region"]["present_at_end"] == 900
    assert list(review["dispositifs"]) == ["picardie-iml"]
    assert len(review["not_submitted"]) == 4


def _rows(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_regional_review_xlsx_masks_small_counts_of_one_dispositif(hauts_de_france, tmp_path):
    target = tmp_path / "revue.xlsx"
    out, err = run("regional_review", "--region", "32", "--year", "2025", "--format", "xlsx",
                   "--output", str(target))  # fmt: skip
    assert out == "" and str(target) in err
    book = load_workbook(io.BytesIO(target.read_bytes()))
    assert book.sheetnames == ["Territoires", "Dispositifs", "Non transmis"]

    territories = _rows(book["Territoires"])
    header = territories[0]
    exited, lasting = (
        header.index("Ménages sortis"),
        header.index("Part des sorties vers le logement pérenne"),
    )
    # Départements named after their code (« 59 Nord »).
    by_name = {row[0].split(" ")[0] if row[0][0].isdigit() else row[0]: row
               for row in territories[1:]}  # fmt: skip
    assert list(by_name) == ["02", "59", "60", "62", "80", "Région Hauts-de-France"]
    assert territories[2][0] == "59 Nord"
    # Territories: numbers, even under five (Nord: 4 exits, one dispositif).
    assert by_name["59"][1:3] == [1, 1]
    assert by_name["59"][exited] == 4 and by_name["59"][lasting] == 50.0  # 2 / 4
    assert by_name["80"][exited] == 9 and by_name["80"][lasting] == 66.7  # 6 / 9
    region = by_name["Région Hauts-de-France"]
    assert (region[1], region[2], region[exited], region[lasting]) == (3, 3, 13, 61.5)

    dispositifs = _rows(book["Dispositifs"])
    header = dispositifs[0]
    assert header[:4] == ["Département", "Opérateur", "Dispositif", "État"]
    exited, lasting = (
        header.index("Ménages sortis"),
        header.index("Part des sorties vers le logement pérenne"),
    )
    entered = header.index("Ménages entrés")
    by_code = {row[2]: row for row in dispositifs[1:]}
    assert list(by_code) == ["IML Lille (N1)", "IML Picardie (P1)", "IML Amiens (S1)"]
    # S1: 3 exits, N1: 4: « < 5 », and their rates over them « — »; P1's 6 exits are shown.
    assert by_code["IML Amiens (S1)"][exited] == "< 5"
    assert by_code["IML Amiens (S1)"][lasting] == "—"
    assert by_code["IML Lille (N1)"][exited] == "< 5"
    assert by_code["IML Picardie (P1)"][exited] == 6
    assert by_code["IML Picardie (P1)"][lasting] == 83.3  # 5 / 6
    assert by_code["IML Amiens (S1)"][entered] == 9
    assert by_code["IML Picardie (P1)"][3] == "reçu par la DDETS"

    missing = _rows(book["Non transmis"])
    assert missing == [
        ["Département", "Opérateur", "Dispositif", "État"],
        ["80", "Picardie IML", "IML Péronne (P-NT)", "non transmis"],
        ["80", "Somme Habitat", "IML Abbeville (S2)", "renvoyé pour correction"],
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "99", "--year", "2025"], "Région inconnue : « 99 »"),
        (["--region", "Hauts-de-France", "--year", "2025"], "Région inconnue"),
        (["--region", "32", "--year", "2025", "--format", "csv"], "Format inconnu : « csv »"),
        (["--region", "32", "--year", "2025", "--format", "xlsx"], "demande --output"),
    ],
)
def test_regional_review_refusals(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("regional_review", *args)


# --- create_institution ---------------------------------------------------------------------


def test_create_a_ddets_derives_its_region(db):
    out, _ = run("create_institution", "--kind", "ddets", "--slug", "ddets-80",
                 "--name", "DDETS de la Somme", "--departements", " 80 ")  # fmt: skip
    assert "Financeur « DDETS de la Somme » créé (80 Somme)." in out
    made = Institution.objects.get(slug="ddets-80")
    assert (made.kind, made.departements, made.region) == ("ddets", ["80"], "32")


def test_create_a_dreets_and_the_national_level(db):
    out, _ = run("create_institution", "--kind", "dreets", "--slug", "dreets-hdf",
                 "--name", "DREETS Hauts-de-France", "--region", "32")  # fmt: skip
    assert "(Hauts-de-France)" in out
    out, _ = run("create_institution", "--kind", "national", "--slug", "dihal",
                 "--name", "DIHAL", "--region", "32", "--departements", "80")  # fmt: skip
    assert "(France entière)" in out
    dreets = Institution.objects.get(slug="dreets-hdf")
    national = Institution.objects.get(slug="dihal")
    assert (dreets.region, dreets.departements) == ("32", [])
    # The national level has no territory of its own, whatever was typed.
    assert (national.region, national.departements) == ("", [])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "ddets", "--departements", "80,71"], "d’une même région"),
        (["--kind", "ddets", "--departements", "80,999"], "Département inconnu : 999"),
        (["--kind", "ddets"], "Une DDETS a un ou plusieurs départements"),
        (["--kind", "dreets", "--region", "99"], "Code de région inconnu"),
        (["--kind", "dreets"], "Code de région inconnu"),
    ],
)
def test_create_institution_refusals(db, args, message):
    with pytest.raises(CommandError, match=message):
        run("create_institution", "--slug", "nouvelle", "--name", "Nouvelle", *args)
    assert not Institution.objects.exists()


def test_create_institution_refuses_a_slug_or_a_name_taken(db):
    ddets("80")
    with pytest.raises(CommandError, match="existe déjà"):
        run("create_institution", "--kind", "ddets", "--slug", "ddets-80", "--name", "Autre",
            "--departements", "80")  # fmt: skip
    with pytest.raises(CommandError, match="existe déjà"):
        run("create_institution", "--kind", "ddets", "--slug", "autre", "--name",
            "DDETS ddets-80", "--departements", "80")  # fmt: skip
    assert Institution.objects.count() == 1


# --- invite_funder_agent --------------------------------------------------------------------


def test_invite_a_new_agent_sends_the_way_in(db, mailoutbox, django_capture_on_commit_callbacks):
    somme = ddets("80")
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("invite_funder_agent", "--institution", "ddets-80",
                     "--email", " Agent.Somme@Exemple.gouv.fr ", "--first-name", "Léa",
                     "--last-name", "Durand")  # fmt: skip
    assert "Accès ouvert pour DDETS ddets-80 ; e-mail envoyé." in out
    user = User.objects.get(email="agent.somme@exemple.gouv.fr")
    assert (user.first_name, user.last_name) == ("Léa", "Durand")
    assert not user.has_usable_password()
    assert FunderAgent.objects.get(user=user).institution == somme
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["agent.somme@exemple.gouv.fr"]
    assert message.subject == "Accès financeur : DDETS ddets-80"
    assert "/mot-de-passe/" in message.body and "(80 Somme)" in message.body
    assert "double authentification" in message.body


def test_invite_an_existing_account_without_team(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    ddets("80")
    UserFactory(email="deja@exemple.gouv.fr")  # has a password
    with django_capture_on_commit_callbacks(execute=True):
        run("invite_funder_agent", "--institution", "ddets-80", "--email", "deja@exemple.gouv.fr")
    assert len(mailoutbox) == 1
    assert "Connectez-vous avec votre adresse deja@exemple.gouv.fr" in mailoutbox[0].body
    assert "/mot-de-passe/" not in mailoutbox[0].body


def test_invite_funder_agent_refusals(members_a, mailoutbox, django_capture_on_commit_callbacks):
    somme, nord = ddets("80"), ddets("59")
    agent(nord, email="agent@nord.example")
    Institution.objects.create(kind="ddets", slug="fermee", name="Fermée",
                               departements=["02"], region="32", is_active=False)  # fmt: skip
    cases = [
        (["--institution", "inconnue", "--email", "x@exemple.fr"],
         "Financeur inconnu ou inactif : inconnue."),
        (["--institution", "fermee", "--email", "x@exemple.fr"],
         "Financeur inconnu ou inactif : fermee."),
        (["--institution", "ddets-80", "--email", "head@alpha.example"],
         "fait partie de l’équipe d’un opérateur"),
        (["--institution", "ddets-80", "--email", "agent@nord.example"],
         "déjà agent de DDETS ddets-59"),
    ]  # fmt: skip
    for args, message in cases:
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError) as error:
            run("invite_funder_agent", *args)
        assert message in str(error.value), args
    assert not mailoutbox
    assert list(FunderAgent.objects.values_list("user__email", flat=True)) == ["agent@nord.example"]
    assert not FunderAgent.objects.filter(institution=somme).exists()
    assert not User.objects.filter(email="x@exemple.fr").exists()
