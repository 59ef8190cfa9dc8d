"""The road out in the workbook (docs/workbook-rehousing.md): demandes_logement, propositions,
mesures, suivis_sortie — exported, imported, checked, and carried into another organisation.

Today is 2025-06-20 (``conftest``). The base workbook's M1 is present since 2023-03-01, M2 left
on 2024-06-01, M3 is oriented, M4 withdrawn."""

import datetime
from decimal import Decimal

import pytest

from households.models import Household
from iml.rls import organisation_transaction
from rehousing.models import FollowUp, HousingDemand, Measure, Proposal
from rehousing.services import demand_save, follow_up_record, measure_save, proposal_save
from support.models import Partner, PartnerKind
from tests.factories import OrganisationFactory
from tests.workbook.builders import base_sheets, set_cell, write_xlsx
from tests.workbook.helpers import changed, counts, created, errors_of, run, snapshot
from workbook.exporter import export_rows
from workbook.exporter import write_xlsx as export_xlsx
from workbook.importer import ImportErrors, import_workbook
from workbook.reader import read_path

D = datetime.date
SHEETS = ("demandes_logement", "propositions", "mesures", "suivis_sortie")

# The base workbook's four sheets as the export writes them, written out by hand.
DEMANDS = [
    ["M1", "071230300012345", "2023-04-15", "2024-04-10", "Chalon-sur-Saône, Mâcon", "t2;t3",
     "2023-06-01", "", "true", "false", "", "Priorité école"],
    ["M2", "071230400054321", "2023-05-01", "", "Chalon-sur-Saône", "t3", "", "2023-11-20",
     "false", "true", "2024-05-15", ""],
]  # fmt: skip
PROPOSALS = [
    ["PR1", "M1", "OPAC 71", "public", "5 rue Verte", "Mâcon", "t3", "480.50", "2024-02-01",
     "2024-02-20", "attribuee", "refusee", "2024-02-25", "trop_loin", "",
     "Trop loin de l’école"],
    ["PR2", "M2", "OPAC 71", "public", "12 quai Gambetta", "Chalon-sur-Saône", "t3", "512.40",
     "2024-04-02", "2024-04-18", "attribuee", "acceptee", "2024-04-20", "", "2024-06-01", ""],
    ["PR3", "M1", "Habellis", "public", "2 allée des Pins", "Chalon-sur-Saône", "t2", "",
     "2025-06-01", "2025-06-30", "en_attente", "en_attente", "", "", "", ""],
]  # fmt: skip
MEASURES = [
    ["ME1", "M1", "asll", "Conseil départemental", "", "2024-01-15", "2024-07-15", "", "", ""],
    ["ME2", "M2", "avdl", "DDETS", "", "2024-06-01", "", "2024-07-01", "Service social de secteur",
     ""],
]  # fmt: skip
FOLLOW_UPS = [
    ["M2", "1", "2024-07-03", "true", "false", ""],
    ["M2", "3", "2024-09-05", "true", "", "Aide au dossier FSL"],
]


def exported(organisation) -> dict[str, list[list[str]]]:
    with organisation_transaction(organisation):
        rows = export_rows(organisation)
    return {sheet: sorted(rows[sheet]) for sheet in SHEETS}


def only(*names: str):
    """The base workbook with the households' sheets and the named ones (the others
    are left out: a sheet may be omitted)."""
    sheets = base_sheets()
    kept = {"dispositifs", "menages", *names}
    return {name: rows for name, rows in sheets.items() if name in kept}


# -- export --------------------------------------------------------------------------------


def test_the_imported_sheets_export_as_written(org_a, staff_a, tmp_path):
    analysis = run(org_a, tmp_path)
    assert {sheet: created(analysis)[sheet] for sheet in SHEETS} == {
        "demandes_logement": 2, "propositions": 3, "mesures": 2, "suivis_sortie": 2,
    }  # fmt: skip
    assert exported(org_a) == {
        "demandes_logement": DEMANDS,
        "propositions": PROPOSALS,
        "mesures": MEASURES,
        "suivis_sortie": FOLLOW_UPS,
    }


def test_what_the_application_records_exports(org_a, staff_a, tmp_path):
    """Rows written by the services (no import): every column as the workbook writes it."""
    run(org_a, tmp_path, only())
    user = staff_a.user
    with organisation_transaction(org_a):
        m1, m2, m3 = (Household.objects.get(reference=ref) for ref in ("M1", "M2", "M3"))
        partner = Partner.objects.create(name="CCAS de Mâcon", kind=PartnerKind.CCAS)
        demand_save(household=m3, by=user, number="0712 5010 0099", filed_on=D(2025, 1, 20),
                    communes="Mâcon", typologies=["t3", "t1"], dalo_on=D(2025, 3, 2),
                    contingent_prefectoral=True)  # fmt: skip
        proposal = proposal_save(
            proposal=Proposal(
                household=m3, landlord="Habellis", parc="prive", address="1 rue Haute",
                city="Mâcon", typology="t1", rent=Decimal("401.5"), received_on=D(2025, 5, 2),
                answer="refusee", answered_on=D(2025, 5, 9), refusal_reason="trop_cher",
            ),
            by=user,
        )  # fmt: skip
        measure = measure_save(measure=Measure(household=m1, kind="fsl", partner=partner,
                                     start_on=D(2025, 2, 1), note="Dépôt de garantie"),
                     by=user)  # fmt: skip
        follow_up_record(household=m2, months=6, by=user, contacted_on=D(2024, 12, 3),
                         debts=True, needs="Budget")  # fmt: skip
    assert exported(org_a) == {
        "demandes_logement": [
            ["M3", "0712 5010 0099", "2025-01-20", "", "Mâcon", "t1;t3", "", "2025-03-02",
             "false", "true", "", ""],
        ],
        "propositions": [
            # Made in the application: its public identifier is its ref.
            [str(proposal.public_id), "M3", "Habellis", "prive", "1 rue Haute", "Mâcon", "t1",
             "401.50", "2025-05-02", "", "en_attente", "refusee", "2025-05-09", "trop_cher", "",
             ""],
        ],
        "mesures": [
            [str(measure.public_id), "M1", "fsl", "", "CCAS de Mâcon", "2025-02-01", "", "", "",
             "Dépôt de garantie"],
        ],
        "suivis_sortie": [["M2", "6", "2024-12-03", "", "true", "Budget"]],
    }  # fmt: skip


# -- import --------------------------------------------------------------------------------


def test_each_sheet_is_written_in_the_organisation(org_a, org_b, staff_a, tmp_path):
    run(org_a, tmp_path, user=staff_a.user)
    rehousing = ("rehousing.HousingDemand", "rehousing.Proposal", "rehousing.Measure",
                 "rehousing.FollowUp")  # fmt: skip
    assert [counts(org_a)[label] for label in rehousing] == [2, 3, 2, 2]
    assert [counts(org_b)[label] for label in rehousing] == [0, 0, 0, 0]
    with organisation_transaction(org_a):
        m1 = Household.objects.get(reference="M1")
        demand = HousingDemand.objects.get(household=m1)
        assert (demand.number, demand.filed_on, demand.renewed_on) == (
            "071230300012345", D(2023, 4, 15), D(2024, 4, 10),
        )  # fmt: skip
        assert demand.communes == "Chalon-sur-Saône, Mâcon" and demand.typologies == ["t2", "t3"]
        assert demand.syplo_on == D(2023, 6, 1) and demand.dalo_on is None
        assert demand.accord_collectif and not demand.contingent_prefectoral
        assert demand.closed_on is None and demand.note == "Priorité école"
        assert demand.updated_by == staff_a.user
        assert HousingDemand.objects.get(household__reference="M2").closed_on == D(2024, 5, 15)

        refused = Proposal.objects.get(household=m1, received_on=D(2024, 2, 1))
        assert (refused.landlord, refused.parc, refused.city, refused.typology) == (
            "OPAC 71", "public", "Mâcon", "t3",
        )  # fmt: skip
        assert refused.rent == Decimal("480.50") and refused.cal_on == D(2024, 2, 20)
        assert (refused.cal_decision, refused.answer, refused.answered_on) == (
            "attribuee", "refusee", D(2024, 2, 25),
        )  # fmt: skip
        assert refused.refusal_reason == "trop_loin" and refused.created_by == staff_a.user
        pending = Proposal.objects.get(household=m1, received_on=D(2025, 6, 1))
        assert pending.rent is None and pending.answered_on is None
        accepted = Proposal.objects.get(household__reference="M2")
        assert accepted.accepted and accepted.move_in_on == D(2024, 6, 1)

        asll = Measure.objects.get(household=m1)
        assert (asll.kind, asll.funder, asll.partner, asll.start_on, asll.end_on) == (
            "asll", "Conseil départemental", None, D(2024, 1, 15), D(2024, 7, 15),
        )  # fmt: skip
        avdl = Measure.objects.get(household__reference="M2")
        assert avdl.handover_on == D(2024, 7, 1)
        assert avdl.handover_to == "Service social de secteur"

        follow_ups = FollowUp.objects.filter(household__reference="M2").order_by("months")
        assert [(f.months, f.contacted_on, f.housed, f.debts, f.needs) for f in follow_ups] == [
            (1, D(2024, 7, 3), True, False, ""),
            (3, D(2024, 9, 5), True, None, "Aide au dossier FSL"),
        ]


def test_a_second_import_changes_nothing_and_a_corrected_row_is_updated(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    before = snapshot(org_a)
    assert changed(run(org_a, tmp_path)) == 0
    assert snapshot(org_a) == before
    sheets = base_sheets()
    set_cell(sheets, "propositions", 4, "answer", "acceptee")  # M1's pending one
    set_cell(sheets, "propositions", 4, "answer_date", "2025-06-15")
    set_cell(sheets, "demandes_logement", 3, "note", "Relogé")
    set_cell(sheets, "mesures", 2, "end_date", "2024-08-15")
    set_cell(sheets, "suivis_sortie", 3, "debts", "oui")
    counted = counts(org_a)
    analysis = run(org_a, tmp_path, sheets)
    updates = {sheet["sheet"]: sheet["update"] for sheet in analysis.preview()}
    assert {sheet: updates[sheet] for sheet in SHEETS} == dict.fromkeys(SHEETS, 1)
    assert counts(org_a) == counted  # matched, not duplicated
    with organisation_transaction(org_a):
        proposal = Proposal.objects.get(received_on=D(2025, 6, 1))
        assert (proposal.answer, proposal.answered_on) == ("acceptee", D(2025, 6, 15))
        assert HousingDemand.objects.get(household__reference="M2").note == "Relogé"
        assert Measure.objects.get(kind="asll").end_on == D(2024, 8, 15)
        assert FollowUp.objects.get(months=3).debts is True


def test_an_absent_column_keeps_the_recorded_value(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    sheets = only("demandes_logement")
    sheets["demandes_logement"] = [[row[0], row[1], row[2]] for row in base_sheets()[
        "demandes_logement"]]  # fmt: skip
    assert changed(run(org_a, tmp_path, sheets)) == 0
    with organisation_transaction(org_a):
        assert HousingDemand.objects.get(household__reference="M1").note == "Priorité école"


def test_a_measure_names_a_partner_of_the_organisation(org_a, staff_a, tmp_path):
    with organisation_transaction(org_a):
        partner = Partner.objects.create(name="AGIR Saône", kind=PartnerKind.AGIR)
    sheets = only("mesures")
    set_cell(sheets, "mesures", 2, "partner", "AGIR Saône")
    run(org_a, tmp_path, sheets)
    with organisation_transaction(org_a):
        assert Measure.objects.get(kind="asll").partner == partner
    assert exported(org_a)["mesures"][0][4] == "AGIR Saône"
    assert changed(run(org_a, tmp_path, sheets)) == 0


# -- validation ----------------------------------------------------------------------------

RULES = [
    (("demandes_logement", 3, "menage", "M1"),
     "demandes_logement:3: menage: le ménage « M1 » a déjà une demande (ligne 2) : une demande "
     "par ménage"),
    (("demandes_logement", 2, "menage", "M9"),
     "demandes_logement:2: menage: référence inconnue « M9 » (ni dans la feuille menages, ni "
     "dans l’organisation)"),
    (("demandes_logement", 2, "number", "12-34"),
     "demandes_logement:2: number: le numéro unique compte de 10 à 30 chiffres ou lettres "
     "(espaces permis), tel qu’il figure sur l’attestation d’enregistrement"),
    (("demandes_logement", 2, "renewed_date", "10/04/2023"),
     "demandes_logement:2: renewed_date: le renouvellement (10/04/2023) précède le dépôt "
     "(15/04/2023)"),
    (("demandes_logement", 3, "closed_date", "2023-04-30"),
     "demandes_logement:3: closed_date: la clôture (30/04/2023) précède le dépôt (01/05/2023)"),
    (("demandes_logement", 2, "renewed_date", "2025-07-01"),
     "demandes_logement:2: renewed_date: le renouvellement (01/07/2025) est dans le futur"),
    (("demandes_logement", 3, "dalo_date", "2025-06-21"),
     "demandes_logement:3: dalo_date: la reconnaissance DALO (21/06/2025) est dans le futur"),
    (("demandes_logement", 2, "typologies", "t3;t9"),
     "demandes_logement:2: typologies: code inconnu « t9 » (codes : t1, t2, t3, t4, t5, t6)"),
    (("demandes_logement", 2, "accord_collectif", "peut-être"),
     "demandes_logement:2: accord_collectif: « peut-être » : écrivez true ou false (oui / non, "
     "1 / 0)"),
    (("propositions", 2, "refusal_reason", ""),
     "propositions:2: refusal_reason: un refus du ménage a un motif"),
    (("propositions", 3, "refusal_reason", "autre"),
     "propositions:3: refusal_reason: seul un refus du ménage a un motif (answer : refusee)"),
    (("propositions", 3, "answer_date", ""),
     "propositions:3: answer_date: une réponse du ménage a une date : indiquez quand il a "
     "répondu"),
    (("propositions", 4, "answer_date", "2025-06-10"),
     "propositions:4: answer_date: une date de réponse sans réponse du ménage (answer vide ou "
     "en_attente)"),
    (("propositions", 2, "cal_date", "2024-01-31"),
     "propositions:2: cal_date: la commission (31/01/2024) précède la proposition (01/02/2024)"),
    (("propositions", 2, "answer_date", "2024-01-30"),
     "propositions:2: answer_date: la réponse (30/01/2024) précède la proposition (01/02/2024)"),
    (("propositions", 4, "cal_decision", "attribuee"),
     "propositions:4: cal_decision: la commission n’a pas encore siégé (le 30/06/2025) : sa "
     "décision est « en_attente »"),
    (("propositions", 4, "received_date", "2025-06-21"),
     "propositions:4: received_date: la proposition (21/06/2025) est dans le futur"),
    (("propositions", 2, "answer", "peut_etre"),
     "propositions:2: answer: code inconnu « peut_etre » (codes : en_attente, acceptee, "
     "refusee)"),
    (("propositions", 3, "parc", ""), "propositions:3: parc: valeur obligatoire"),
    (("propositions", 3, "ref", "PR1"),
     "propositions:3: ref: référence « PR1 » en double (ligne 2)"),
    (("mesures", 3, "ref", "ME1"), "mesures:3: ref: référence « ME1 » en double (ligne 2)"),
    (("mesures", 2, "partner", "CCAS Mâcon"),
     "mesures:2: partner: partenaire inconnu « CCAS Mâcon » : ajoutez-le aux partenaires de "
     "l’organisation (même nom) avant l’import, ou laissez vide"),
    (("mesures", 2, "end_date", "2024-01-14"),
     "mesures:2: end_date: la fin (14/01/2024) précède le début (15/01/2024)"),
    (("mesures", 3, "start_date", "2025-07-01"),
     "mesures:3: start_date: le début (01/07/2025) est dans le futur"),
    (("mesures", 3, "handover_date", "2025-06-21"),
     "mesures:3: handover_date: le passage de relais (21/06/2025) est dans le futur"),
    (("mesures", 3, "kind", "rsa"),
     "mesures:3: kind: code inconnu « rsa » (codes : agir, asll, avdl, fsl, iml, "
     "chrs_hors_les_murs, autre)"),
    (("suivis_sortie", 2, "months", "2"),
     "suivis_sortie:2: months: 2 : les suivis après la sortie sont à 1, 3 ou 6 mois"),
    (("suivis_sortie", 2, "months", "12"), "suivis_sortie:2: months: 12 : au plus 6"),
    (("suivis_sortie", 3, "months", "1"),
     "suivis_sortie:3: months: le suivi à 1 mois du ménage « M2 » est déjà donné (ligne 2) : un "
     "suivi par échéance"),
    (("suivis_sortie", 2, "menage", "M1"),
     "suivis_sortie:2: menage: le ménage « M1 » n’est pas sorti du dispositif : le suivi après "
     "la sortie concerne un ménage sorti"),
    (("suivis_sortie", 2, "contact_date", "2024-05-20"),
     "suivis_sortie:2: contact_date: le contact (20/05/2024) précède la sortie du ménage "
     "(01/06/2024)"),
    (("suivis_sortie", 3, "contact_date", "2025-06-21"),
     "suivis_sortie:3: contact_date: le contact (21/06/2025) est dans le futur"),
    (("suivis_sortie", 2, "housed", "2"),
     "suivis_sortie:2: housed: « 2 » : écrivez true ou false (oui / non, 1 / 0)"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), RULES, ids=[m.split(": ")[0] for _, m in RULES])
def test_each_rule_has_its_message_and_nothing_is_written(
    org_a, staff_a, tmp_path, change, message
):
    sheets = base_sheets()
    sheet, row, column, value = change
    set_cell(sheets, sheet, row, column, value)
    before = counts(org_a)
    assert errors_of(org_a, tmp_path, sheets) == [message]
    assert counts(org_a) == before


def test_a_bad_reimport_changes_nothing(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    before = snapshot(org_a)
    sheets = base_sheets()
    set_cell(sheets, "demandes_logement", 2, "note", "Corrigée")  # valid changes…
    set_cell(sheets, "propositions", 4, "answer", "acceptee")
    set_cell(sheets, "propositions", 4, "answer_date", "2025-06-15")
    sheets["suivis_sortie"].append(["M2", "6", "2024-12-01", "false", "true", ""])
    set_cell(sheets, "mesures", 3, "end_date", "2024-05-01")  # …and one error
    assert errors_of(org_a, tmp_path, sheets) == [
        "mesures:3: end_date: la fin (01/05/2024) précède le début (01/06/2024)"
    ]
    assert snapshot(org_a) == before


# -- round trip ----------------------------------------------------------------------------


def test_the_export_moves_into_another_organisation(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    with organisation_transaction(org_a):
        partner = Partner.objects.create(name="AGIR Saône", kind=PartnerKind.AGIR)
        Measure.objects.filter(kind="avdl").update(partner=partner)
        export_xlsx(org_a, tmp_path / "alpha.xlsx")
    other = OrganisationFactory(name="Association Gamma", slug="gamma")
    book = read_path(tmp_path / "alpha.xlsx")
    # Partners are not in the workbook: the new organisation's directory names them.
    with organisation_transaction(other), pytest.raises(ImportErrors) as refused:
        import_workbook(book, other)
    assert refused.value.errors == [
        "mesures:3: partner: partenaire inconnu « AGIR Saône » : ajoutez-le aux partenaires de "
        "l’organisation (même nom) avant l’import, ou laissez vide"
    ]
    with organisation_transaction(other):
        Partner.objects.create(name="AGIR Saône", kind=PartnerKind.ASSOCIATION)
        import_workbook(book, other)
    mesures = [row[:] for row in MEASURES]
    mesures[1][4] = "AGIR Saône"
    assert (
        exported(other)
        == exported(org_a)
        == {
            "demandes_logement": DEMANDS,
            "propositions": PROPOSALS,
            "mesures": mesures,
            "suivis_sortie": FOLLOW_UPS,
        }
    )
    rehousing = ("rehousing.HousingDemand", "rehousing.Proposal", "rehousing.Measure",
                 "rehousing.FollowUp")  # fmt: skip
    assert [counts(other)[label] for label in rehousing] == [2, 3, 2, 2]
    assert [counts(org_a)[label] for label in rehousing] == [2, 3, 2, 2]
    with organisation_transaction(other):
        assert Measure.objects.get(kind="avdl").partner.organisation_id == other.pk
    with organisation_transaction(other):
        assert changed(import_workbook(read_path(tmp_path / "alpha.xlsx"), other)) == 0


def test_french_cells_import_alike(org_a, staff_a, tmp_path):
    """JJ/MM/AAAA, decimal commas, oui / non, codes in capitals, typologies in any order."""
    sheets = base_sheets()
    set_cell(sheets, "demandes_logement", 2, "filed_date", "15/04/2023")
    set_cell(sheets, "demandes_logement", 2, "typologies", "T3 ; t2")
    set_cell(sheets, "demandes_logement", 2, "accord_collectif", "oui")
    set_cell(sheets, "propositions", 2, "rent", "480,50")
    set_cell(sheets, "propositions", 2, "answer", "REFUSEE")
    set_cell(sheets, "suivis_sortie", 2, "housed", "OUI")
    set_cell(sheets, "suivis_sortie", 2, "debts", "non")
    with organisation_transaction(org_a):
        import_workbook(read_path(write_xlsx(tmp_path / "fr.xlsx", sheets)), org_a)
    assert exported(org_a)["demandes_logement"] == DEMANDS
    assert exported(org_a)["propositions"] == PROPOSALS
    assert exported(org_a)["suivis_sortie"] == FOLLOW_UPS
