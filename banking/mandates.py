"""SEPA direct-debit mandates: a household's authorisation to debit its residual rent.

The IBAN and the BIC are checked with ``schwifty`` (checksum, length and structure of the
country) and stored compact; the mandate's reference (RUM) is unique in the organisation and
a household has one active mandate at most (both enforced by the database as well).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty import exceptions as iban_errors

from banking.models import Mandate
from households.models import Household
from iml.models import Organisation, User
from papers.models import Paper

# The characters the SEPA rulebook allows in a mandate reference (RUM), 35 at most.
RUM_PATTERN = re.compile(r"^[A-Za-z0-9+?/:().,' -]{1,35}$")

_IBAN_MESSAGES: list[tuple[type[Exception], str]] = [
    (iban_errors.InvalidChecksumDigits, "la clé de contrôle ne correspond pas (faute de frappe ?)"),
    (iban_errors.InvalidBBANChecksum, "la clé RIB ne correspond pas (faute de frappe ?)"),
    (iban_errors.InvalidCountryCode, "le code pays (deux premières lettres) est inconnu"),
    (iban_errors.InvalidLength, "sa longueur ne correspond pas à celle du pays"),
    (iban_errors.InvalidStructure, "il contient des caractères non autorisés ou mal placés"),
    (iban_errors.InvalidBankCode, "le code banque est inconnu"),
    (iban_errors.InvalidBranchCode, "le code guichet est inconnu"),
    (iban_errors.InvalidAccountCode, "le numéro de compte est invalide"),
]  # fmt: skip


def clean_iban(value: str) -> str:
    """The IBAN, compact and upper-case, or a French error saying what is wrong."""
    text = (value or "").strip()
    if not text:
        raise ValidationError({"iban": "Indiquez l’IBAN du compte à prélever."})
    try:
        iban = IBAN(text)
    except iban_errors.SchwiftyException as error:
        reason = next(
            (message for kind, message in _IBAN_MESSAGES if isinstance(error, kind)),
            "il n’est pas reconnu",
        )
        raise ValidationError({"iban": f"IBAN invalide : {reason}."}) from None
    if not iban.in_sepa_zone:
        raise ValidationError(
            {"iban": "IBAN invalide : ce pays n’est pas dans la zone SEPA (pas de prélèvement)."}
        )
    return str(iban.compact)


def clean_bic(value: str, iban: str = "") -> str:
    """The BIC (8 or 11 characters) or, left empty, the one of the IBAN's bank when schwifty
    knows it (else empty: the file then says « NOTPROVIDED », as the SEPA rules allow)."""
    text = (value or "").strip().replace(" ", "").upper()
    if not text:
        if iban:
            bic = IBAN(iban).bic
            return str(bic.compact) if bic is not None else ""
        return ""
    try:
        bic = BIC(text)
    except iban_errors.InvalidLength:
        raise ValidationError({"bic": "BIC invalide : il compte 8 ou 11 caractères."}) from None
    except iban_errors.InvalidCountryCode:
        raise ValidationError({"bic": "BIC invalide : le code pays est inconnu."}) from None
    except iban_errors.SchwiftyException:
        raise ValidationError(
            {"bic": "BIC invalide : 4 lettres de banque, 2 de pays, puis 2 ou 5 caractères."}
        ) from None
    if iban and bic.country_code != iban[:2] and (iban[:2], bic.country_code) not in _SAME_ZONE:
        raise ValidationError(
            {"bic": f"BIC invalide : sa banque est d’un autre pays ({bic.country_code}) que "
                    f"l’IBAN ({iban[:2]})."}
        )  # fmt: skip
    return str(bic.compact)


# Banks of French overseas territories and Monaco have French BICs and their own IBAN prefix.
_SAME_ZONE = {(prefix, "FR") for prefix in ("MC", "GP", "MQ", "GF", "RE", "YT", "PM", "BL", "MF")}


def mask_iban(iban: str) -> str:
    """Lists show only the last four characters of an account."""
    return f"•••• {iban[-4:]}" if iban else ""


def default_reference(household: Household, organisation: Organisation) -> str:
    """``<ORG>-<HOUSEHOLD>-<n>``: the household's n-th mandate, upper-case, 35 characters."""

    def safe(text: str) -> str:
        return re.sub(r"[^A-Z0-9-]+", "", text.upper().replace("_", "-"))

    count = Mandate.objects.filter(household=household).count()
    prefix = f"{safe(organisation.slug)[:12]}-{safe(household.reference)[:16]}"
    while True:
        count += 1
        reference = f"{prefix}-{count}"[:35]
        if not Mandate.objects.filter(reference=reference).exists():
            return reference


@dataclass(frozen=True)
class MandateData:
    reference: str
    debtor_name: str
    iban: str
    bic: str
    signed_on: datetime.date
    debit_day: int
    paper: Paper | None = None


def _check(household: Household, data: MandateData) -> dict[str, object]:
    errors: dict[str, list[str]] = {}

    def field(name: str, check):
        try:
            return check()
        except ValidationError as error:
            errors.setdefault(name, []).extend(error.message_dict.get(name, error.messages))
            return None

    iban = field("iban", lambda: clean_iban(data.iban))
    bic = field("bic", lambda: clean_bic(data.bic, iban or "")) if iban else data.bic
    reference = (data.reference or "").strip().upper()
    if not RUM_PATTERN.match(reference):
        errors.setdefault("reference", []).append(
            "Référence de mandat invalide : 35 caractères au plus, lettres, chiffres, espaces et "
            "+ ? / - : ( ) . , ’ seulement."
        )
    name = " ".join((data.debtor_name or "").split())
    if not name:
        errors.setdefault("debtor_name", []).append("Indiquez le titulaire du compte.")
    if data.signed_on is None:
        errors.setdefault("signed_on", []).append("Indiquez la date de signature.")
    elif data.signed_on > timezone.localdate():
        errors.setdefault("signed_on", []).append(
            "La date de signature ne peut pas être dans le futur."
        )
    if data.debit_day is None or not 1 <= data.debit_day <= 28:
        errors.setdefault("debit_day", []).append("Le jour du prélèvement va du 1 au 28.")
    if data.paper is not None and data.paper.household_id != household.pk:
        errors.setdefault("paper", []).append("Cette pièce n’est pas une pièce de ce ménage.")
    if errors:
        raise ValidationError(errors)
    return {"reference": reference, "debtor_name": name[:140], "iban": iban, "bic": bic}


@transaction.atomic
def mandate_save(
    *,
    household: Household,
    data: MandateData,
    by: User | None,
    mandate: Mandate | None = None,
) -> Mandate:
    """Create the household's mandate, or correct ``mandate`` (its reference is kept once a
    debit was issued under it: the bank knows it by that reference)."""
    cleaned = _check(household, data)
    if mandate is None:
        if household.anonymised_at is not None:
            raise ValidationError("Ce ménage est anonymisé.")
        mandate = Mandate(household=household, created_by=by)
    else:
        mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if mandate.revoked_on is not None:
            raise ValidationError("Ce mandat est révoqué : enregistrez-en un nouveau.")
        if cleaned["reference"] != mandate.reference and mandate.debits.exists():
            raise ValidationError(
                {"reference": "Des prélèvements ont été émis sous cette référence : elle ne "
                              "peut plus changer (enregistrez un nouveau mandat)."}
            )  # fmt: skip
    for name, value in cleaned.items():
        setattr(mandate, name, value)
    mandate.signed_on = data.signed_on
    mandate.debit_day = data.debit_day
    mandate.paper = data.paper
    mandate.full_clean(exclude=["household", "created_by", "paper"])
    try:
        with transaction.atomic():
            mandate.save()
    except IntegrityError as error:
        # Two régisseurs at the same instant: the database's constraints have the last word.
        text = str(error)
        if "mandate_reference_unique" in text:
            raise ValidationError(
                {"reference": "Cette référence de mandat (RUM) existe déjà."}
            ) from None
        if "mandate_one_active_per_household" in text:
            raise ValidationError(
                "Le ménage a déjà un mandat en cours : révoquez-le d’abord."
            ) from None
        raise
    return mandate


@transaction.atomic
def mandate_revoke(*, mandate: Mandate, on: datetime.date, by: User | None) -> Mandate:
    """The household (or the operator) ends the mandate: no debit is issued under it from
    the next run on (debits already sent stay as they are)."""
    mandate = Mandate.objects.select_for_update().get(pk=mandate.pk)
    if mandate.revoked_on is not None:
        raise ValidationError("Ce mandat est déjà révoqué.")
    if on is None:
        raise ValidationError({"revoked_on": "Indiquez la date de la révocation."})
    if on > timezone.localdate():
        raise ValidationError({"revoked_on": "La date ne peut pas être dans le futur."})
    if on < mandate.signed_on:
        raise ValidationError(
            {"revoked_on": "La révocation ne peut pas précéder la signature "
                           f"({mandate.signed_on:%d/%m/%Y})."}
        )  # fmt: skip
    mandate.revoked_on = on
    mandate.save(update_fields=["revoked_on"])
    return mandate
