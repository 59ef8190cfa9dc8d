"""Sublease contracts: creation (at admission), checked here and by the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from households.models import Household
from households.services import (
    household_admission_cancel,
    household_admit,
    household_exit,
    household_exit_cancel,
)
from households.stays import RENEWAL, renew_by_amendment
from housing.energy import letting_ban_warning
from housing.models import HousingUnit, Room
from housing.services import unit_return
from iml.codes import ExitDestination, LedgerKind, Parc, UnitReturnReason
from iml.models import User
from tenancy.calls import CallChanges, calls_resync, issue_calls_to_date
from tenancy.models import Amendment, LedgerEntry, SubleaseContract
from tenancy.plans import plans_follow

INITIAL_TERM = relativedelta(months=6)
NEEDS_ENERGY_CONFIRMATION = "needs_energy_confirmation"
OVERLAP = "subleasecontract_no_overlap"
# The constraint's own message, a str (the stubs type it as optional).
OVERLAP_MESSAGE = cast(
    str,
    next(
        c.violation_error_message for c in SubleaseContract._meta.constraints if c.name == OVERLAP
    ),
)


@dataclass(frozen=True)
class ContractTerms:
    rent: Decimal
    charges: Decimal = Decimal("0")
    deposit: Decimal = Decimal("0")
    expected_housing_benefit: Decimal = Decimal("0")
    towards_sliding_lease: bool = False


def next_reference(start: datetime.date) -> str:
    prefix = f"C{start.year}-"
    taken = set(
        SubleaseContract.objects.filter(reference__startswith=prefix).values_list(
            "reference", flat=True
        )
    )
    number = len(taken) + 1
    while f"{prefix}{number:03d}" in taken:
        number += 1
    return f"{prefix}{number:03d}"


@transaction.atomic
def contract_create(
    *,
    household: Household,
    unit: HousingUnit,
    room: Room | None,
    start_date: datetime.date,
    terms: ContractTerms,
    by: User,
    today: datetime.date | None = None,
    energy_confirmed: bool = False,
) -> SubleaseContract:
    """A contract on a whole unit or one room of a shared flat, for the initial six months.
    ``today``: the day it is recorded (the months begun by then are called). A home the
    climate law forbids letting (its DPE class) is let only ``energy_confirmed``."""
    unit = HousingUnit.objects.select_for_update().get(pk=unit.pk)
    if not energy_confirmed and (warning := letting_ban_warning(unit.energy_class, start_date)):
        raise ValidationError(
            {"energy_confirmed": f"{warning} Cochez la confirmation pour sous-louer quand même."},
            code=NEEDS_ENERGY_CONFIRMATION,
        )
    if room is not None and room.unit_id != unit.pk:
        raise ValidationError({"room": "Cette chambre n’appartient pas à ce logement."})
    if unit.dispositif_id != household.dispositif_id:
        raise ValidationError("Le logement relève d’un autre dispositif que le ménage.")
    if start_date < unit.captation_date or (unit.return_date and start_date >= unit.return_date):
        raise ValidationError({"start_date": "Le logement n’est pas dans le parc à cette date."})
    contract = SubleaseContract(
        organisation_id=household.organisation_id,
        household=household,
        unit=unit,
        room=room,
        reference=next_reference(start_date),
        start_date=start_date,
        initial_end_date=start_date + INITIAL_TERM,
        rent=terms.rent,
        charges=terms.charges,
        deposit=terms.deposit,
        expected_housing_benefit=terms.expected_housing_benefit,
        towards_sliding_lease=terms.towards_sliding_lease,
        created_by=by,
    )
    contract.full_clean()
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as error:
        # Another transaction took the space between our check and our insert.
        if OVERLAP in str(error):
            raise ValidationError(OVERLAP_MESSAGE) from error
        raise
    # Entered after the 1st, or retroactively: the months already begun are called now.
    issue_calls_to_date(contract, today)
    return contract


@transaction.atomic
def admit_with_contract(
    *,
    household: Household,
    unit: HousingUnit,
    room: Room | None,
    entry_date: datetime.date,
    terms: ContractTerms,
    by: User,
    today: datetime.date | None = None,
    energy_confirmed: bool = False,
) -> SubleaseContract:
    """The household enters its home: admitted if and only if its contract is created."""
    household = household_admit(household=household, entry_date=entry_date, by=by)
    return contract_create(
        household=household,
        unit=unit,
        room=room,
        start_date=entry_date,
        terms=terms,
        by=by,
        today=today,
        energy_confirmed=energy_confirmed,
    )


@transaction.atomic
def exit_with_contracts(
    *,
    household: Household,
    exit_date: datetime.date,
    by: User,
    today: datetime.date | None = None,
    **exit: Any,
) -> Household:
    """The household leaves the dispositif: its running contracts end the same day (the first
    day out), which frees their spaces, and their rent calls follow (``calls_resync``).
    ``exit`` carries destination, bail glissant, support; ``today`` is the day it is recorded."""
    today = today or timezone.localdate()
    household = household_exit(household=household, exit_date=exit_date, by=by, **exit)
    running = list(
        SubleaseContract.objects.select_for_update()
        .filter(household=household, actual_end_date__isnull=True)
        .order_by("pk")  # the rent-call job locks contracts in this order too
    )
    for contract in running:
        contract.actual_end_date = exit_date
        contract.save(update_fields=["actual_end_date"])
        # The months already called are called again for the days lived: the exit month
        # prorated, the months after it reversed (an exit is often recorded late).
        calls_resync(contract=contract, by=by, reason=exit_reason(exit_date, today), today=today)
        plans_follow(contract=contract, on=today)
    return household


@transaction.atomic
def exit_cancel(
    *, household: Household, reason: str, by: User, today: datetime.date | None = None
) -> Household:
    """An exit recorded by mistake, undone: the household is present again, the contracts
    that ended with the exit run again and their months are called again (``calls_resync``).
    Refused when the space was let or returned since: that is built on the exit."""
    today = today or timezone.localdate()
    exit_date = household.exit_date
    ended = list(
        SubleaseContract.objects.select_for_update()
        .select_related("unit")
        .filter(household=household, actual_end_date=exit_date)
        .order_by("pk")
    )
    household = household_exit_cancel(household=household, reason=reason, by=by)
    for contract in ended:
        if contract.unit.return_date is not None:
            raise ValidationError(
                f"Le logement {contract.unit.reference} a été rendu au bailleur depuis la "
                "sortie : la sortie ne peut plus être annulée."
            )
        contract.actual_end_date = None
        try:
            # The constraints only (the overlap above all): a field an import left empty is
            # no reason to refuse the correction.
            contract.validate_constraints()
        except ValidationError as error:
            if OVERLAP_MESSAGE in error.messages:
                raise ValidationError(
                    f"Le logement {contract.unit.reference} a été attribué à un autre ménage "
                    "depuis la sortie : la sortie ne peut plus être annulée."
                ) from error
            raise
        contract.save(update_fields=["actual_end_date"])
        calls_resync(contract=contract, by=by, reason=f"Sortie annulée : {reason.strip()}"[:300],
                     today=today)  # fmt: skip
        plans_follow(contract=contract, on=today)
    return household


@transaction.atomic
def admission_cancel(
    *, household: Household, reason: str, by: User, today: datetime.date | None = None
) -> Household:
    """An admission recorded by mistake, undone: the household is back on the waiting list and
    its contract is voided (its period emptied, its rent calls reversed), so that it counts
    nowhere: no occupied day, no rent, no entry. Refused once money or papers were recorded on
    the contract (the régisseur reverses the payments first) or the stay went on elsewhere."""
    today = today or timezone.localdate()
    entry_date = Household.objects.select_for_update().get(pk=household.pk).entry_date
    # The household first: its state is checked (and locked) before its contracts.
    household = household_admission_cancel(household=household, reason=reason, by=by)
    contracts = list(
        SubleaseContract.objects.select_for_update()
        .filter(household=household, cancelled_at__isnull=True)
        .order_by("pk")
    )
    for contract in contracts:
        _refuse_if_built_on(contract, entry_date)
    note = f"Entrée annulée : {reason.strip()}"[:300]
    for contract in contracts:
        contract.actual_end_date = contract.start_date
        contract.cancelled_at = timezone.now()
        contract.save(update_fields=["actual_end_date", "cancelled_at"])
        calls_resync(contract=contract, by=by, reason=note, today=today)
    return household


def _refuse_if_built_on(contract: SubleaseContract, entry_date: datetime.date | None) -> None:
    def refuse(what: str) -> None:
        raise ValidationError(f"Contrat {contract.reference} : {what} ; l’entrée ne peut pas "
                              "être annulée.")  # fmt: skip

    if contract.start_date != entry_date or contract.actual_end_date is not None:
        refuse("le ménage a changé de logement depuis l’entrée")
    money = LedgerEntry.objects.filter(contract=contract).live().exclude(kind=LedgerKind.APPEL)
    if money.exists():
        refuse(
            f"{money.count()} écriture(s) autre(s) que les appels de loyer (paiement, aide, "
            "régularisation…) y sont enregistrée(s) : le régisseur doit d’abord les annuler"
        )
    if contract.plans.exists():
        refuse("un plan d’apurement y est enregistré")
    if contract.inventories.exists():
        refuse("un état des lieux y est enregistré")
    if contract.amendments.exists():
        refuse("un avenant y est enregistré")


def exit_reason(exit_date: datetime.date, today: datetime.date) -> str:
    return (
        f"Sortie le {exit_date:%d/%m/%Y} : appel recalculé sur les jours occupés "
        f"(enregistrée le {today:%d/%m/%Y})"
    )


@transaction.atomic
def contract_terms_correct(
    *,
    contract: SubleaseContract,
    rent: Decimal,
    charges: Decimal,
    expected_housing_benefit: Decimal,
    reason: str,
    by: User,
) -> CallChanges:
    """Correct amounts typed wrong at admission: the contract takes the new rent, charges and
    expected housing benefit from its start (the change is kept in its history), and every
    month already called is called again for the new amounts (``calls_resync``)."""
    contract = SubleaseContract.objects.select_for_update().get(pk=contract.pk)
    if not reason.strip():
        raise ValidationError({"reason": "Indiquez pourquoi le loyer est corrigé."})
    for field, value in (("rent", rent), ("charges", charges)):
        if value is None or value < 0:
            raise ValidationError({field: "Le montant ne peut pas être négatif."})
    if rent + charges <= 0:
        raise ValidationError({"rent": "Le loyer et les charges ne peuvent pas être tous nuls."})
    if expected_housing_benefit is None or expected_housing_benefit < 0:
        raise ValidationError({"expected_housing_benefit": "Le montant ne peut pas être négatif."})
    new = (rent, charges, expected_housing_benefit)
    if new == (contract.rent, contract.charges, contract.expected_housing_benefit):
        raise ValidationError("Ces montants sont déjà ceux du contrat : rien à corriger.")
    contract.rent, contract.charges, contract.expected_housing_benefit = new
    amounts = ["rent", "charges", "expected_housing_benefit"]
    contract.full_clean(
        exclude=[f.name for f in SubleaseContract._meta.fields if f.name not in amounts],
        validate_unique=False,
    )
    contract.save(update_fields=amounts)
    changes = calls_resync(
        contract=contract,
        by=by,
        reason=f"Loyer corrigé le {timezone.localdate():%d/%m/%Y} : {reason.strip()}",
    )
    plans_follow(contract=contract)
    return changes


@transaction.atomic
def contract_renew(
    *,
    contract: SubleaseContract,
    signed_on: datetime.date,
    by: User,
    months: int = RENEWAL,
    justification: str = "",
) -> Amendment:
    """Renew by an amendment. The stay is counted from the household's entry: beyond 18
    months the amendment needs a written justification, and is flagged."""
    contract = SubleaseContract.objects.select_for_update().get(pk=contract.pk)
    if contract.actual_end_date is not None:
        raise ValidationError("Ce contrat est terminé : il ne peut plus être renouvelé.")
    amendment = renew_by_amendment(
        contract,
        amendment_model=Amendment,
        signed_on=signed_on,
        starts_on=contract.start_date,
        entry=contract.household.entry_date or contract.start_date,
        months=months,
        justification=justification,
        beyond_message="Le séjour dépasserait 18 mois : une justification écrite est obligatoire.",
        by=by,
    )
    return amendment


@transaction.atomic
def contract_slide(
    *,
    contract: SubleaseContract,
    slide_date: datetime.date,
    by: User,
    exit_support: tuple[str, ...] = (),
) -> SubleaseContract:
    """The lease slides to the household (bail glissant): it keeps its home, the main lease
    passes to its name. The contract ends, the household exits the dispositif with
    ``bail_glissant`` (destination: autonomous housing, social or private by the unit's parc),
    and the unit leaves the stock with reason ``glissement_bail``, all on ``slide_date``.

    Only a whole unit slides: the main lease covers the whole flat, and a room cannot leave
    the stock alone while the other rooms stay sublet (a household in a room of a shared flat
    that obtains its own lease leaves with an ordinary exit).
    """
    contract = (
        SubleaseContract.objects.select_for_update().select_related("unit").get(pk=contract.pk)
    )
    if not contract.towards_sliding_lease:
        raise ValidationError("Ce contrat n’est pas une sous-location en vue d’un bail glissant.")
    if contract.room_id is not None:
        raise ValidationError(
            "Seul un logement entier peut glisser : le bail principal porte sur tout le logement."
        )
    if contract.actual_end_date is not None:
        raise ValidationError("Ce contrat est déjà terminé.")
    destination = (
        ExitDestination.LOGEMENT_SOCIAL
        if contract.unit.parc == Parc.PUBLIC
        else ExitDestination.LOGEMENT_PRIVE
    )
    exit_with_contracts(
        household=contract.household,
        exit_date=slide_date,
        destination=destination,
        bail_glissant=True,
        exit_support=exit_support,
        by=by,
    )
    unit_return(unit=contract.unit, return_date=slide_date, reason=UnitReturnReason.GLISSEMENT_BAIL)
    contract.refresh_from_db()
    return contract
