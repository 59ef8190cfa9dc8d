"""Anonymisation leaves no name anywhere: a household whose persons bear a distinctive name,
written everywhere a user can type about it through the services, is anonymised past its
retention period; then every text, varchar, json and array column of every table of the
database is searched for the name, as a role that sees every organisation. The money stays
exactly as it was.

``build_household`` is also the fixture of the export's tests (test_rgpd_export.py).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.postgres.fields import ArrayField
from django.core.management import call_command
from django.db import connection, models, transaction
from freezegun import freeze_time

from alerts.job import sync_alerts
from households import services as household_services
from households.models import Household, Person
from households.services import PersonData
from iml import backup
from iml.codes import (
    Employment,
    InteractionType,
    LedgerKind,
    PaymentMethod,
    PersonRole,
    ProtectionStatus,
    Resource,
    Sex,
    SupportDomain,
)
from iml.models import Organisation, Role
from iml.rls import organisation_transaction
from iml.scoping import organisation_context
from privacy.names import NAME_REMOVED, name_tokens, remove_names
from privacy.paths import HOUSEHOLD_PATHS, history_models
from privacy.retention import DELETED, KEPT_TEXT, NAMES_REMOVED, REPLACED_TEXT, REWRITTEN
from reporting.compute import compute_report
from support import contracts as support_contracts
from support import network
from support.interactions import interaction_log
from support.models import Workshop
from tenancy import inventories, ledger, plans
from tenancy.models import ANONYMISED_TEXT, Incident, LedgerEntry, SubleaseContract
from tenancy.money import contract_balance, household_balance
from tenancy.services import ContractTerms, admit_with_contract, contract_renew, exit_with_contracts
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory
from tests.housing.factories import HousingUnitFactory
from tests.support.factories import PartnerFactory

D = datetime.date

# The planted names, and what the search looks for (with and without accents: search_name
# and other folded copies).
LAST_NAME = "Zébulon-Témoin"
ADULT, CHILD = "Zéphyrine", "Zacharie"
NEEDLES = ["zébulon", "zebulon", "témoin", "temoin", "zéphyrine", "zephyrine", "zacharie"]


@dataclass
class Built:
    household: Household
    adult: Person
    child: Person
    contract: SubleaseContract
    workshop: Workshop
    named_incident: Incident
    plain_incident: Incident
    texts: dict[str, str] = field(default_factory=dict)


STAFF_NAMES = {Role.SOCIAL_WORKER: "Sophie", Role.REGISSEUR: "Rémi", Role.HEAD: "Hélène"}


def team(organisation: Organisation, prefix: str) -> dict[str, object]:
    """A social worker, a régisseur and a head, named (not drawn at random: a drawn name could
    be one the tests look for)."""
    return {
        role: MembershipFactory(
            organisation=organisation, role=role, user__email=f"{role}@{prefix}.example",
            user__first_name=first_name, user__last_name="Martin",
        ).user
        for role, first_name in STAFF_NAMES.items()
    }  # fmt: skip


def _bank_rows(household, contract, regisseur, name, reference, text) -> None:
    """The bank's rows about the household: a transfer's bank line (its label names the
    adult) written into its account, a guess of the matcher, its CAF number and its row in the
    CAF's detail, a direct-debit mandate and a debit."""
    from banking.models import (
        Allocation,
        BankAccount,
        BankLine,
        BankStatement,
        CafNotice,
        CafNoticeRow,
        Debit,
        DebitRun,
        Mandate,
        MatchProposal,
    )

    account, _ = BankAccount.objects.get_or_create(
        iban="FR7630006000011234567890189", defaults={"label": "Compte loyers"}
    )
    statement = BankStatement.objects.create(account=account, file_name="releve.xml",
                                             format="camt053", status="termine")  # fmt: skip
    line = BankLine.objects.create(
        account=account, statement=statement, booked_on=D(2022, 4, 5), amount="45",
        label=text("bank_line", f"VIR SEPA {name.upper()} LOYER AVRIL"),
        counterparty=name, fingerprint=f"h:{reference}",
    )  # fmt: skip
    entry = ledger.payment_record(contract=contract, date=D(2022, 4, 5), amount="45",
                                  method=PaymentMethod.VIREMENT, confirmed=True,
                                  by=regisseur)  # fmt: skip
    Allocation.objects.create(line=line, entry=entry, created_by=regisseur)
    MatchProposal.objects.create(line=line, contract=contract, amount="45", score=80, rank=1,
                                 reasons=f"nom {name} dans le libellé")  # fmt: skip
    Household.objects.filter(pk=household.pk).update(caf_number=f"12{reference[-1]}4567")
    notice = CafNotice.objects.create(month=D(2022, 4, 1), file_name="caf.csv")
    CafNoticeRow.objects.create(notice=notice, allocataire=f"12{reference[-1]}4567",
                                name=text("caf_row", name.upper()), period=D(2022, 4, 1),
                                amount="250", household=household, contract=contract,
                                expected="250", status="ok")  # fmt: skip
    mandate = Mandate.objects.create(
        household=household, reference=f"RUM-{reference}", debtor_name=text("mandate", name),
        iban="FR1420041010050500013M02606", signed_on=D(2022, 3, 10), debit_day=5,
    )  # fmt: skip
    run, _ = DebitRun.objects.get_or_create(
        account=account, month=D(2022, 5, 1), defaults={"message_id": "MSG-2022-05", "xml": "<x/>"}
    )
    Debit.objects.create(run=run, mandate=mandate, contract=contract, amount="150",
                         collection_on=D(2022, 5, 5), end_to_end_id=f"E2E-{reference}")  # fmt: skip


def build_household(
    organisation: Organisation,
    dispositif,
    users: dict,
    *,
    reference: str,
    last_name: str = LAST_NAME,
    adult: str = ADULT,
    child: str = CHILD,
    workshop: Workshop | None = None,
    neighbour_unit=None,
    exits: bool = True,
) -> Built:
    """A household entered on 2022-03-01 and exited on 2024-01-15, built through the services
    as the application does, with the name written in every text a user can type about it.
    Run under freeze_time after the exit, as the organisation. ``workshop``: an existing
    workshop its adult joins (and is named in); ``neighbour_unit``: a unit whose incident,
    reported during this stay, names this household's adult; ``exits``: False, the household
    stays."""
    sw, regisseur, head = users[Role.SOCIAL_WORKER], users[Role.REGISSEUR], users[Role.HEAD]
    name = f"{adult} {last_name}"
    texts = {}

    def text(key: str, value: str) -> str:
        texts[key] = value
        return value

    household = household_services.household_orient(
        dispositif=dispositif, reference=reference, orientation_date=D(2022, 1, 10),
        reference_person=PersonData(last_name, adult, Sex.F, D(1990, 5, 17), PersonRole.REFERENT,
                                    "AF", ProtectionStatus.REFUGIE),
        others=[PersonData(last_name, child, Sex.M, D(2015, 6, 2), PersonRole.ENFANT, "AF")],
        siao_reference=text("siao", f"SIAO {last_name}"), by=sw,
    )  # fmt: skip
    first, second = household.persons.order_by("pk")
    unit = HousingUnitFactory(organisation=organisation, dispositif=dispositif,
                              captation_date=D(2021, 1, 1))  # fmt: skip
    contract = admit_with_contract(
        household=household, unit=unit, room=None, entry_date=D(2022, 3, 1),
        terms=ContractTerms(rent=Decimal("400"), charges=Decimal("50"),
                            expected_housing_benefit=Decimal("250"),
                            towards_sliding_lease=True), by=regisseur,
    )  # fmt: skip
    household_services.resources_record(household=household, day=D(2022, 3, 1),
                                        resources=[Resource.RSA], by=sw)  # fmt: skip
    household_services.employment_record(person=first, day=D(2022, 3, 1),
                                         employment=Employment.COURS_FRANCAIS, by=sw)  # fmt: skip
    # A correction of identity: the event and the history carry the name.
    household_services.person_update(
        person=second,
        data=PersonData(last_name, child, Sex.M, D(2015, 6, 3), PersonRole.ENFANT, "AF"), by=sw,
    )  # fmt: skip

    # The ledger: every text a régisseur types.
    ledger.payment_record(contract=contract, date=D(2022, 4, 5), amount="300",
                          method=PaymentMethod.CHEQUE, confirmed=True, by=regisseur,
                          reference=text("payment", f"Chèque {last_name} n° 1234"))  # fmt: skip
    bounced = ledger.payment_record(contract=contract, date=D(2022, 4, 20), amount="80",
                                    method=PaymentMethod.VIREMENT, confirmed=True, by=regisseur,
                                    reference=f"Virement {name}")  # fmt: skip
    ledger.entry_reverse(entry=bounced, date=D(2022, 4, 28), by=regisseur,
                         reason=text("reversal", f"Virement de {name} rejeté"))  # fmt: skip
    _bank_rows(household, contract, regisseur, name, reference, text)
    ledger.aid_record(contract=contract, date=D(2022, 5, 10), amount="100", by=regisseur,
                      note=text("aid", f"FSL pour Mme {last_name}"),
                      reference=f"FSL-{last_name}")  # fmt: skip
    ledger.charge_record(contract=contract, date=D(2022, 6, 1), kind=LedgerKind.REGULARISATION,
                         amount="20", credit=True, by=regisseur,
                         note=text("charge", f"Geste pour {adult}, fuite"))  # fmt: skip
    plan = plans.plan_create(contract=contract, signed_on=D(2022, 9, 1), instalment="100",
                             first_due_date=D(2022, 10, 1), by=regisseur,
                             note=text("plan", f"Plan signé avec {name}"))  # fmt: skip
    plans.plan_break(plan=plan, on=D(2023, 1, 10), reason=f"{adult} ne paie plus", by=regisseur)
    for signed_on in (D(2022, 8, 20), D(2023, 2, 20), D(2023, 8, 20)):
        contract_renew(
            contract=contract, signed_on=signed_on, by=head,
            justification=text("amendment", f"{name} attend un logement social"),
        )  # fmt: skip
    inventories.inventory_create(
        contract=contract, kind="entree", date=D(2022, 3, 1), by=regisseur, damages=0,
        notes=text("inventory", f"Clés remises à {name}"),
        items=[{"room": f"Chambre de {child}", "item": "Lit", "condition": "bon",
                "notes": text("item", f"Lit apporté par {last_name}")},
               {"room": "Cuisine", "item": "Évier", "condition": "usage"}],
    )  # fmt: skip
    named_incident = inventories.incident_report(
        unit=unit, kind="fuite", reported_on=D(2022, 11, 5), by=regisseur,
        description=text("incident", f"Fuite signalée par Mme {name}, appeler {adult} avant"),
    )  # fmt: skip
    inventories.incident_update(incident=named_incident, status="resolu",
                                resolved_on=D(2022, 11, 20), by=regisseur)  # fmt: skip
    plain_incident = inventories.incident_report(
        unit=unit, kind="chauffage", reported_on=D(2023, 1, 5), by=regisseur,
        description="Radiateur du séjour froid.",
    )  # fmt: skip
    if neighbour_unit is not None:
        inventories.incident_report(
            unit=neighbour_unit, kind="voisinage", reported_on=D(2022, 12, 1), by=regisseur,
            description=text("neighbour", f"Bruit chez le voisin, plainte de {name}"),
        )  # fmt: skip

    # Social support.
    support = support_contracts.support_contract_sign(
        household=household, signed_on=D(2022, 3, 15), referent=sw, by=sw,
        objectives=[(SupportDomain.LOGEMENT, text("objective", f"Reloger la famille {last_name}"))],
        notes=text("support", f"Famille {last_name} motivée"),
    )  # fmt: skip
    objective = support_contracts.objective_add(
        contract=support, domain=SupportDomain.EMPLOI, start_date=D(2022, 6, 1), by=sw,
        text=f"Inscrire {adult} à France Travail",
    )  # fmt: skip
    support_contracts.objective_close(objective=objective, status="atteint",
                                      closed_on=D(2022, 9, 1), by=sw)  # fmt: skip
    for signed_on in (D(2022, 9, 10), D(2023, 3, 10), D(2023, 9, 10)):
        support_contracts.support_contract_renew(
            contract=support, signed_on=signed_on, by=head,
            justification=text("support_amendment", f"{adult} suit une formation"),
        )  # fmt: skip
    interaction_log(
        household=household, date=D(2022, 4, 2), kind=InteractionType.VISITE_DOMICILE, by=sw,
        persons=[first, second], staff=[regisseur], domains=[SupportDomain.SANTE],
        notes=text("interaction", f"Visite chez {name} ; {child} malade"),
        duration_minutes=60,
    )  # fmt: skip
    partner = PartnerFactory(organisation=organisation)
    referral = network.referral_create(
        household=household, partner=partner, date=D(2022, 4, 10), by=sw,
        domain=SupportDomain.SANTE, reason=text("referral", f"{name} vers la PMI"),
    )  # fmt: skip
    network.referral_close(referral=referral, outcome="aboutie", outcome_date=D(2022, 5, 1),
                           notes=text("referral_outcome", f"{adult} reçue"), by=sw)  # fmt: skip
    if workshop is None:
        workshop = network.workshop_save(
            date=D(2022, 5, 6), title=f"Budget avec {adult}", theme=SupportDomain.BUDGET,
            description=text("workshop", f"Atelier pour {name}"),
            facilitators=[sw], participants=[first], by=sw,
        )  # fmt: skip
    else:
        workshop = network.workshop_save(
            workshop=workshop, date=workshop.date, title=workshop.title, theme=workshop.theme,
            description=text("workshop", f"{workshop.description} et {name}"),
            facilitators=list(workshop.facilitators.all()),
            participants=[*workshop.participants.all(), first], by=sw,
        )  # fmt: skip
    # A paper: a scan of the titre de séjour, a note naming its holder.
    from iml.codes import PaperKind
    from papers.services import Owner
    from tests.papers.helpers import add_paper

    add_paper(Owner(household=household, person=first), PaperKind.TITRE_SEJOUR, sw,
              issued_on=D(2022, 3, 1), valid_until=D(2023, 3, 1),
              note=text("paper", f"Titre de {name}"))  # fmt: skip
    # The road out: the demand and a proposal the household refused.
    from rehousing.models import Proposal
    from rehousing.services import demand_save, proposal_save

    demand_save(household=household, by=sw, number="0802203000123" + str(len(last_name)),
                filed_on=D(2022, 3, 10),
                note=text("demand", f"{adult} souhaite Amiens"))  # fmt: skip
    proposal_save(proposal=Proposal(
        household=household, landlord="OPAC", address=text("proposal", f"Chez {name}, 3 rue X"),
        city="Amiens", typology="t3", received_on=D(2023, 5, 2), answer="refusee",
        answered_on=D(2023, 5, 9), refusal_reason="trop_loin",
        note=f"{adult} refuse"), by=sw)  # fmt: skip
    from rehousing.models import Measure
    from rehousing.services import follow_up_record, measure_save, slide_plan_save

    measure_save(measure=Measure(household=household, kind="asll", funder="Conseil départemental",
                                 start_on=D(2023, 9, 1), handover_on=D(2024, 2, 1),
                                 handover_to=text("handover", f"Mme Relais pour {name}"),
                                 note=text("measure", f"ASLL de {adult}")), by=sw)  # fmt: skip
    slide_plan_save(contract=contract, by=sw, considered_on=D(2023, 6, 1),
                    note=text("slide", f"{adult} attend la convention tripartite"))  # fmt: skip
    # The daily job's alerts of a running stay (renewal, support, debt…).
    sync_alerts(organisation, today=D(2023, 8, 25))

    if exits:
        exit_with_contracts(household=household, exit_date=D(2024, 1, 15), by=sw,
                            destination="logement_social")  # fmt: skip
        follow_up_record(household=household, months=1, by=sw, contacted_on=D(2024, 1, 20),
                         housed=True, debts=False,
                         needs=text("follow_up", f"{adult} cherche une crèche"))  # fmt: skip
        inventories.inventory_create(
            contract=contract, kind="sortie", date=D(2024, 1, 15), by=regisseur, damages="150",
            notes=f"État correct, {adult} absente",
            items=[{"room": f"Chambre de {child}", "item": "Lit", "condition": "usage"}],
        )  # fmt: skip
    household.refresh_from_db()
    contract.refresh_from_db()
    return Built(household, first, second, contract, workshop, named_incident, plain_incident,
                 texts)  # fmt: skip


# --- Searching the whole database -------------------------------------------------------------

SEARCHED_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY",
                  "USER-DEFINED")  # fmt: skip
COLUMNS_SQL = """
    SELECT c.table_name, c.column_name FROM information_schema.columns AS c
    JOIN information_schema.tables AS t
      ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.data_type = ANY(%s)
    ORDER BY 1, 2
"""


def _hits(run, needles: list[str]) -> dict[str, int]:
    patterns = [f"%{needle}%" for needle in needles]
    found = {}
    for table, column in run(COLUMNS_SQL, [list(SEARCHED_TYPES)]):
        (count,) = run(
            f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE ANY(%s)', [patterns]
        )[0]
        if count:
            found[f"{table}.{column}"] = count
    return found


def backup_role_or_none():
    try:
        return backup.backup_server()
    except backup.BackupError:
        return None


def database_hits(needles: list[str], *, as_backup_role: bool = True) -> dict[str, int]:
    """Where ``needles`` occur in the committed database: ``table.column`` → rows.

    As the backup role (superuser or BYPASSRLS: every organisation's rows at once), as
    tests/iml/test_backup.py reaches them; where there is none (an external server without
    DATABASE_BACKUP_URL), as the application role, organisation by organisation, which sees
    the same rows."""
    server = backup_role_or_none() if as_backup_role else None
    if server is not None:
        with server.connect() as db:
            return _hits(lambda sql, params: db.execute(sql, params).fetchall(), needles)

    def run(sql, params):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    found: dict[str, int] = {}
    for organisation in [None, *Organisation.objects.order_by("pk")]:
        with transaction.atomic(), organisation_context(organisation):
            for place, count in _hits(run, needles).items():
                found[place] = max(found.get(place, 0), count)
    return found


def money(household: Household, dispositif) -> dict:
    """Every money figure of the household, and the annual reports of its stay."""
    contracts = SubleaseContract.objects.filter(household=household).order_by("pk")
    return {
        "household": household_balance(household),
        "at_exit": household_balance(household, at=D(2024, 1, 14)),
        "contracts": [contract_balance(contract) for contract in contracts],
        "entries": list(
            LedgerEntry.objects.filter(contract__household=household)
            .order_by("pk")
            .values_list("date", "kind", "debit", "credit", "period", "reverses", "replaces")
        ),
        # The rent figures: the other figures count persons by age at a date, which the
        # birth day brought back to the 1st may move within its month (frozen reports keep
        # theirs).
        "reports": [
            compute_report(dispositif, D(year, 1, 1), D(year, 12, 31))["rent"]
            for year in (2022, 2023, 2024)
        ],
    }


@pytest.fixture
def organisation(transactional_db):
    # Nothing of the needles in the organisation's own names.
    return OrganisationFactory(name="Association Rétention", slug="retention")


@pytest.mark.django_db(transaction=True)
def test_no_name_is_left_anywhere_and_the_money_is_unchanged(organisation):
    dispositif = DispositifFactory(organisation=organisation, code="IML-T")
    users = team(organisation, "retention")
    with freeze_time("2024-02-01"), organisation_transaction(organisation):
        built = build_household(organisation, dispositif, users, reference="T-1")
        # A household of the same organisation still followed, to be left alone.
        other = build_household(organisation, dispositif, users, reference="T-2",
                                last_name="Autre-Famille", adult="Olga", child="Oscar",
                                workshop=built.workshop, exits=False)  # fmt: skip
    planted = database_hits(NEEDLES)
    assert len(planted) > 30, f"the name was not planted: {planted}"
    if backup_role_or_none() is not None:  # both ways of searching see the same
        assert database_hits(NEEDLES, as_backup_role=False) == planted
    with organisation_transaction(organisation):
        before = money(built.household, dispositif)

    out = io.StringIO()
    with freeze_time("2026-02-01"):
        call_command("apply_retention", "--wet-run", stdout=out)
    assert out.getvalue() == "retention : 1 ménage(s) anonymisés\n"

    assert database_hits(NEEDLES) == {}
    with organisation_transaction(organisation):
        assert money(built.household, dispositif) == before
        # Texts of the household itself: the marker; texts of its unit or of its workshop:
        # the name out, the rest kept; the other household keeps everything.
        entries = LedgerEntry.objects.filter(contract__household=built.household)
        assert set(entries.exclude(note="").values_list("note", flat=True)) == {ANONYMISED_TEXT}
        incident = Incident.objects.get(pk=built.named_incident.pk)
        assert incident.description == (
            f"Fuite signalée par Mme {NAME_REMOVED}, appeler {NAME_REMOVED} avant"
        )
        plain = Incident.objects.get(pk=built.plain_incident.pk)
        assert plain.description == "Radiateur du séjour froid."
        workshop = Workshop.objects.get(pk=built.workshop.pk)
        assert workshop.title == f"Budget avec {NAME_REMOVED}"
        assert workshop.description == f"Atelier pour {NAME_REMOVED} et Olga Autre-Famille"
        assert Person.objects.get(pk=other.adult.pk).last_name == "Autre-Famille"
        assert LedgerEntry.objects.filter(note="FSL pour Mme Autre-Famille").exists()
    assert set(database_hits(["autre-famille"])) >= {
        "households_person.last_name", "tenancy_ledgerentry.note", "support_interaction.notes",
    }  # fmt: skip


# --- Every text field of a household's rows has its rule ------------------------------------


def _text_fields(model) -> list[str]:
    names = []
    for model_field in model._meta.concrete_fields:
        base = model_field.base_field if isinstance(model_field, ArrayField) else model_field
        if base.choices:  # codes
            continue
        if isinstance(base, models.CharField | models.TextField | models.JSONField):
            names.append(model_field.name)
    return names


def test_every_text_field_of_a_household_s_rows_is_anonymised_or_kept_for_a_reason():
    ruled = {
        (model, name)
        for table in (REPLACED_TEXT, NAMES_REMOVED, REWRITTEN)
        for model, names in table.items()
        for name in names
    } | set(KEPT_TEXT)
    # Deleted rows keep nothing: every text field of them is ruled.
    ruled |= {(model, name) for model in DELETED for name in _text_fields(model)}
    models_seen = set(HOUSEHOLD_PATHS) | set(NAMES_REMOVED)
    found = {(model, name) for model in models_seen for name in _text_fields(model)}
    missing = sorted(f"{model.__name__}.{name}" for model, name in found - ruled)
    assert not missing, f"Text fields with no anonymisation rule (privacy.retention): {missing}"
    stale = sorted(f"{model.__name__}.{name}" for model, name in ruled - found)
    assert not stale, f"Rules naming no text field: {stale}"
    # Every history table of those rows is either deleted with them or cleaned of the names.
    for event_model in history_models():
        tracked = event_model.pgh_tracked_model
        if {tracked} & models_seen:
            assert tracked in HOUSEHOLD_PATHS or tracked in NAMES_REMOVED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Signalée par Mme Zéphyrine Zébulon-Témoin.", f"Signalée par Mme {NAME_REMOVED}."),
        ("ZEBULON-temoin a appelé", f"{NAME_REMOVED} a appelé"),
        ("voir zéphyrine, puis Témoin", f"voir {NAME_REMOVED}, puis {NAME_REMOVED}"),
        ("Zébulonienne et Témoins", "Zébulonienne et Témoins"),  # other words
        ("", ""),
    ],
)  # fmt: skip
def test_names_are_found_whatever_their_case_and_accents(text, expected):
    assert remove_names(text, name_tokens(["Zébulon-Témoin", "Zéphyrine", "de la Tour"])) == (
        expected
    )
    assert "de" not in name_tokens(["de la Tour"]) and "tour" in name_tokens(["de la Tour"])
