"""Every rule is checked before anything is written, and every error is reported as
``sheet:row: column: message`` (row numbers as the spreadsheet shows them)."""

import pytest

from tests.workbook.builders import STAFF_EMAIL, base_sheets, drop_column, set_cell
from tests.workbook.helpers import counts, errors_of, run
from workbook.spec import SHEETS


def _unknown_code(s):
    set_cell(s, "personnes", 2, "sex", "z")


def _bad_date(s):
    set_cell(s, "menages", 2, "entry_date", "31/02/2023")


def _bad_amount(s):
    set_cell(s, "contrats", 2, "rent", "12,5,0")


def _missing_column(s):
    drop_column(s, "personnes", "birth_date")


def _missing_value(s):
    set_cell(s, "logements", 2, "city", "  ")


def _unknown_reference(s):
    set_cell(s, "personnes", 2, "menage", "M9")


def _duplicate_reference(s):
    s["logements"].append(list(s["logements"][1]))


def _exit_before_entry(s):
    set_cell(s, "menages", 3, "exit_date", "2023-03-15")


def _person_outside_stay(s):
    set_cell(s, "personnes", 3, "joined_date", "2023-01-01")


def _person_left_after_exit(s):
    set_cell(s, "personnes", 4, "left_date", "2024-07-01")


def _overlap_same_unit(s):
    s["contrats"].append(
        ["C3", "M2", "L1", "", "2023-05-01", "2023-11-01", "400.00", "", "", "2024-06-01"]
    )


def _overlap_unit_and_room(s):
    s["contrats"].append(
        ["C3", "M1", "L2", "", "2024-01-01", "2024-07-01", "400.00", "", "", "2024-03-01"]
    )


def _contract_before_entry(s):
    set_cell(s, "contrats", 2, "start_date", "2023-02-15")


def _amendment_before_contract(s):
    set_cell(s, "avenants", 2, "date", "2023-02-01")


def _amendment_not_extending(s):
    set_cell(s, "avenants", 3, "new_end_date", "2024-02-01")


def _unknown_reversal(s):
    set_cell(s, "mouvements", 6, "cancels", "E99")


def _reversal_amount(s):
    set_cell(s, "mouvements", 6, "amount", "150.00")


def _rent_call_without_month(s):
    set_cell(s, "mouvements", 2, "period", "")


def _staff_not_an_email(s):
    set_cell(s, "interactions", 2, "staff", "inconnu de l’équipe")


def _unknown_participant(s):
    set_cell(s, "ateliers", 2, "participants", "P1;P9")


def _two_referents(s):
    set_cell(s, "personnes", 3, "role", "referent")


def _bail_glissant_destination(s):
    set_cell(s, "menages", 3, "bail_glissant", "oui")
    set_cell(s, "menages", 3, "exit_destination", "tiers")


def _two_support_contracts(s):
    s["accompagnements"].append(["A2", "M1", "2023-04-01", "2023-10-01", ""])


RULES = [
    (_unknown_code, "personnes:2: sex: code inconnu « z » (codes : f, m, x)"),
    (_bad_date, "menages:2: entry_date: date impossible « 31/02/2023 »"),
    (_bad_amount, "contrats:2: rent: montant invalide « 12,5,0 »"),
    (_missing_column, "personnes:1: birth_date: colonne obligatoire absente"),
    (_missing_value, "logements:2: city: valeur obligatoire"),
    (_unknown_reference, "personnes:2: menage: référence inconnue « M9 »"),
    (_duplicate_reference, "logements:4: ref: référence « L1 » en double (ligne 2)"),
    (_exit_before_entry, "menages:3: exit_date: la sortie (15/03/2023) précède l’entrée "
     "(01/04/2023)"),
    (_person_outside_stay, "personnes:3: joined_date: arrivée le 01/01/2023, hors du séjour "
     "du ménage (entrée le 01/03/2023)"),
    (_person_left_after_exit, "personnes:4: left_date: départ le 01/07/2024, hors du séjour "
     "du ménage (entrée le 01/04/2023, sortie le 01/06/2024)"),
    (_overlap_same_unit, "contrats:4: start_date: le logement « L1 » est déjà sous-loué sur "
     "ces dates (contrat « C1 », ligne 2)"),
    (_overlap_unit_and_room, "contrats:4: start_date: le logement « L2 » est déjà sous-loué "
     "sur ces dates (contrat « C2 », ligne 3)"),
    (_contract_before_entry, "contrats:2: start_date: le contrat commence avant l’entrée du "
     "ménage (01/03/2023)"),
    (_amendment_before_contract, "avenants:2: date: l’avenant (01/02/2023) précède le contrat "
     "(01/03/2023)"),
    (_amendment_not_extending, "avenants:3: new_end_date: la nouvelle fin (01/02/2024) doit "
     "suivre la fin qu’il prolonge (01/03/2024)"),
    (_unknown_reversal, "mouvements:6: cancels: écriture annulée inconnue « E99 »"),
    (_reversal_amount, "mouvements:6: amount: une annulation reprend le montant de "
     "l’écriture annulée (200.00)"),
    (_rent_call_without_month, "mouvements:2: period: un appel de loyer indique son mois"),
    (_staff_not_an_email, "interactions:2: staff: « inconnu de l’équipe » n’est pas une adresse "
     "e-mail"),
    (_unknown_participant, "ateliers:2: participants: participant·e inconnu·e « P9 »"),
    (_two_referents, "personnes:3: role: le ménage « M1 » a déjà une personne de référence "
     "(ligne 2)"),
    (_bail_glissant_destination, "menages:3: exit_destination: un bail glissant mène à un "
     "logement autonome"),
    (_two_support_contracts, "accompagnements:3: menage: le ménage « M1 » a déjà un contrat "
     "d’accompagnement (ligne 2)"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "expected"), RULES, ids=[r[0].__name__[1:] for r in RULES])
def test_each_rule_refuses_the_workbook_and_writes_nothing(
    org_a, staff_a, tmp_path, change, expected
):
    sheets = base_sheets()
    change(sheets)
    before = counts(org_a)
    errors = errors_of(org_a, tmp_path, sheets)
    assert any(error.startswith(expected) for error in errors), errors
    assert counts(org_a) == before


# Changes on different rows, none hiding another (a row with a bad cell, or a household with
# wrong dates, is not checked further).
TOGETHER = [
    _unknown_code, _bad_amount, _missing_value, _unknown_reference, _person_outside_stay,
    _person_left_after_exit, _overlap_unit_and_room, _amendment_before_contract,
    _amendment_not_extending, _unknown_reversal, _rent_call_without_month, _staff_not_an_email,
    _unknown_participant, _two_support_contracts,
]  # fmt: skip


def test_every_error_is_reported_at_once(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    for change in TOGETHER:
        change(sheets)
    before = counts(org_a)
    errors = errors_of(org_a, tmp_path, sheets)
    expected = dict(RULES)
    for change in TOGETHER:
        assert any(error.startswith(expected[change]) for error in errors), expected[change]
    # In the order of the sheets, then of the rows.
    sheets_order = [sheet.name for sheet in SHEETS]
    positions = [
        (sheets_order.index(error.split(":")[0]), int(error.split(":")[1])) for error in errors
    ]
    assert positions == sorted(positions)
    assert counts(org_a) == before


def test_a_room_and_another_room_do_not_overlap(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    sheets["contrats"].append(
        ["C3", "M1", "L2", "L2-B", "2024-01-01", "2024-07-01", "400.00", "", "", "2024-03-01"]
    )
    run(org_a, tmp_path, sheets)


def test_contracts_ending_and_starting_the_same_day_do_not_overlap(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    sheets["menages"].append(
        ["M5", "IML-W", "", "2024-05-01", "", "", "", "2024-06-01", "", "", "", "", "", ""]
    )
    sheets["personnes"].append(
        ["P6", "M5", "Kaya", "Jon", "m", "1980-01-01", "referent", "", "", "", ""]
    )
    sheets["contrats"].append(
        ["C3", "M5", "L2", "L2-A", "2024-06-01", "2024-12-01", "300.00", "", "", ""]
    )
    run(org_a, tmp_path, sheets)


def test_overlap_with_a_contract_recorded_in_the_application(org_a, staff_a, tmp_path):
    run(org_a, tmp_path)
    sheets = {
        "contrats": [
            base_sheets()["contrats"][0],
            ["C9", "M2", "L1", "", "2023-06-01", "2023-12-01", "400.00", "", "", "2024-06-01"],
        ]
    }
    errors = errors_of(org_a, tmp_path, sheets)
    assert errors == [
        "contrats:2: start_date: le logement « L1 » est déjà sous-loué sur ces dates "
        "(contrat « C1 », déjà enregistré)"
    ]


def test_a_reversal_is_reversed_once(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    sheets["mouvements"].append(["E7", "C1", "2023-03-22", "annulation", "200.00", "", "", "E2"])
    errors = errors_of(org_a, tmp_path, sheets)
    assert errors == ["mouvements:8: cancels: l’écriture « E2 » est déjà annulée (ligne 6)"]


def test_unknown_sheets_and_columns(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    sheets["Feuil1"] = [["notes"], ["à trier"]]
    sheets["menages"][0][4] = "structure"
    errors = errors_of(org_a, tmp_path, sheets)
    assert errors[0].startswith("feuil1:1: feuille: feuille inconnue")
    assert any(e.startswith("menages:1: structure: colonne inconnue") for e in errors)


def test_staff_may_be_empty_and_emails_ignore_case(org_a, staff_a, tmp_path):
    sheets = base_sheets()
    set_cell(sheets, "interactions", 2, "staff", STAFF_EMAIL.upper())
    run(org_a, tmp_path, sheets)


def test_a_new_organisation_imports_its_history_before_it_has_a_team(org_a, tmp_path):
    """No member at all: support contracts and interactions import, their people kept as
    written."""
    from support.models import Interaction, SupportContract

    sheets = base_sheets()
    set_cell(sheets, "accompagnements", 2, "referent", "referente@exemple.fr")
    run(org_a, tmp_path, sheets)
    support = SupportContract.objects.get(ref="A1")
    assert (support.referent, support.referent_email) == (None, "referente@exemple.fr")
    assert {tuple(i.staff_emails) for i in Interaction.objects.all()} == {(STAFF_EMAIL,), ()}
