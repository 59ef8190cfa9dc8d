"""Sublease contracts between the operator and a household, and everything that hangs on
them: the append-only rent ledger, repayment plans, inventories (états des lieux), technical
incidents, and what the operator pays its landlords."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from households.stays import TermQuerySet
from housing.models import DateRange, Int8Range, money_field, same_value
from iml.codes import LedgerKind, PaymentMethod, RepaymentPlanStatus, choice_constraint
from iml.scoping import (
    OrganisationOwned,
    OrganisationScopedManager,
    OrganisationScopedQuerySet,
    public_id_unique,
)


def occupied_span(room_field: str = "room") -> Int8Range:
    """What of its unit a contract occupies, as a range of room ids: ``[room, room]`` for a
    room, and, for the whole unit (no room: NULL bounds), every room, ``(-∞, +∞)``.

    Two contracts of one unit overlapping in time conflict exactly when these spans overlap:
    two different rooms never do, a room and the whole unit always do.
    """
    return Int8Range(F(room_field), F(room_field), Value("[]"))


def contract_covers(
    start_date: datetime.date, actual_end_date: datetime.date | None, day: datetime.date
) -> bool:
    """A contract covers its space from its start to the day before its actual end date;
    without an actual end date it is still running, whatever its term."""
    return start_date <= day and (actual_end_date is None or day < actual_end_date)


class SubleaseContractQuerySet(TermQuerySet):
    def covering(self, day: datetime.date) -> SubleaseContractQuerySet:
        """Contracts covering their space on ``day``: the rule of ``contract_covers``, in SQL
        (``day`` may be an expression, such as an ``OuterRef``)."""
        return self.filter(
            Q(start_date__lte=day) & (Q(actual_end_date__isnull=True) | Q(actual_end_date__gt=day))
        )


@pghistory.track(model_name="SubleaseContractHistory")
class SubleaseContract(OrganisationOwned):
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, related_name="contracts"
    )

    objects = OrganisationScopedManager.from_queryset(SubleaseContractQuerySet)()
    unit = models.ForeignKey(
        "housing.HousingUnit", on_delete=models.PROTECT, related_name="contracts"
    )
    room = models.ForeignKey(
        "housing.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        help_text="Vide : le logement entier.",
    )
    reference = models.CharField("numéro de contrat", max_length=30)
    start_date = models.DateField("début")
    initial_end_date = models.DateField("fin de la période initiale")
    actual_end_date = models.DateField(
        "fin effective", null=True, blank=True, help_text="Premier jour hors contrat."
    )
    rent = money_field("loyer mensuel")
    charges = money_field("charges mensuelles", default=0)
    deposit = money_field("dépôt de garantie", default=0)
    expected_housing_benefit = money_field("aide au logement attendue (CAF)", default=0)
    towards_sliding_lease = models.BooleanField("en vue d’un bail glissant", default=False)
    # An admission recorded by mistake, cancelled: the contract is kept (its ledger is
    # append-only) but its period is empty, so it covers no day and owes nothing.
    cancelled_at = models.DateTimeField("annulé le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "contrat de sous-location"
        ordering = ["-start_date", "-pk"]
        constraints = [
            public_id_unique("subleasecontract"),
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="subleasecontract_reference_unique",
                violation_error_message="Un contrat de l’organisation porte déjà ce numéro.",
            ),
            models.CheckConstraint(
                condition=Q(initial_end_date__gt=F("start_date")),
                name="subleasecontract_initial_end_after_start",
                violation_error_message="La fin de la période initiale doit suivre le début.",
            ),
            models.CheckConstraint(
                # Equal: a household leaving on its day of entry (an empty period).
                condition=Q(actual_end_date__isnull=True) | Q(actual_end_date__gte=F("start_date")),
                name="subleasecontract_end_after_start",
                violation_error_message="La fin du contrat ne peut pas précéder son début.",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | Q(actual_end_date=F("start_date")),
                name="subleasecontract_cancelled_is_empty",
                violation_error_message="Un contrat annulé ne couvre aucun jour.",
            ),
            models.CheckConstraint(
                condition=Q(rent__gte=0, charges__gte=0, deposit__gte=0)
                & Q(expected_housing_benefit__gte=0),
                name="subleasecontract_amounts_not_negative",
            ),
            # No two contracts on the same space at the same time; a whole-unit contract
            # excludes every room contract of the unit (and the reverse). Enforced by
            # PostgreSQL, hence also between concurrent transactions.
            ExclusionConstraint(
                name="subleasecontract_no_overlap",
                expressions=[
                    same_value("unit"),
                    (occupied_span(), RangeOperators.OVERLAPS),
                    (
                        DateRange("start_date", "actual_end_date", Value("[)")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message="Ce logement (ou cette chambre) est déjà sous-loué "
                "sur ces dates.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def get_absolute_url(self) -> str:
        return reverse("tenancy:contract_detail", args=[self.public_id])

    def covers(self, day: datetime.date) -> bool:
        return contract_covers(self.start_date, self.actual_end_date, day)


@pghistory.track(model_name="AmendmentHistory")
class Amendment(OrganisationOwned):
    """An avenant: renews a contract, six months by default. A stay beyond 18 months (the
    2018 instruction's "six mois renouvelables au maximum deux fois") needs a written
    justification and is flagged."""

    contract = models.ForeignKey(
        SubleaseContract, on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveSmallIntegerField("numéro d’avenant")
    signed_on = models.DateField("signé le")
    new_end_date = models.DateField("nouvelle fin")
    beyond_limit = models.BooleanField("au-delà de 18 mois", default=False, editable=False)
    justification = models.TextField("justification", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "avenant"
        ordering = ["contract", "number"]
        constraints = [
            public_id_unique("amendment"),
            models.UniqueConstraint(
                fields=["organisation", "contract", "number"], name="amendment_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(beyond_limit=False) | ~Q(justification=""),
                name="amendment_beyond_limit_justified",
                violation_error_message="Au-delà de 18 mois, une justification est obligatoire.",
            ),
        ]

    def __str__(self) -> str:
        return f"Avenant {self.number} au contrat {self.contract}"


# --- Ledger ---------------------------------------------------------------------------------

DEBIT_KINDS = (LedgerKind.APPEL, LedgerKind.DEGRADATION)
CREDIT_KINDS = (LedgerKind.PAIEMENT, LedgerKind.APL, LedgerKind.AIDE)


class LedgerEntryQuerySet(OrganisationScopedQuerySet):
    def live(self) -> LedgerEntryQuerySet:
        """Entries that stand: neither reversals nor reversed (a reversed entry and its
        reversal cancel each other out, whatever their dates)."""
        return self.exclude(kind=LedgerKind.ANNULATION).filter(reversals__isnull=True)

    def live_calls(self) -> LedgerEntryQuerySet:
        return self.live().filter(kind=LedgerKind.APPEL)

    def balance(self) -> Decimal:
        """Debits - credits of these entries, in SQL (0 when there are none)."""
        zero = Value(0, output_field=models.DecimalField(max_digits=12, decimal_places=2))
        return self.aggregate(balance=Coalesce(Sum("debit"), zero) - Coalesce(Sum("credit"), zero))[
            "balance"
        ]


# A rent call that replaces another must replace a call of the same contract and month that
# is reversed (by an `annulation`). Checked at commit, so that a batch (the workbook import)
# may insert the replacement before the reversal; with the unique constraints below, it
# leaves at most one live call per contract and month (see ``LedgerEntry``).
REPLACED_CALL_REVERSED = """
    reading := current_setting('iml.organisation_id', true);
    -- Checked at commit, when the row-level-security setting may be another query's: read
    -- the new row's own organisation (which this transaction could write), then restore.
    PERFORM set_config('iml.organisation_id', NEW.organisation_id::text, true);
    -- Both lookups by a unique index (the primary key; organisation and reversed entry),
    -- which the planner takes even before a bulk import's rows have statistics.
    valid := EXISTS (
        SELECT 1 FROM tenancy_ledgerentry AS replaced
        WHERE replaced.id = NEW.replaces_id AND replaced.kind = 'appel'
          AND replaced.contract_id = NEW.contract_id AND replaced.period = NEW.period
          AND EXISTS (SELECT 1 FROM tenancy_ledgerentry AS reversal
                      WHERE reversal.organisation_id = NEW.organisation_id
                        AND reversal.reverses_id = replaced.id)
    );
    PERFORM set_config('iml.organisation_id', COALESCE(reading, ''), true);
    IF NOT valid THEN
        RAISE EXCEPTION 'ledgerentry_replaced_call_reversed: the call % replaces call % of '
            'another contract or month, or one that is not reversed', NEW.id, NEW.replaces_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
"""


# What the RGPD anonymisation (``privacy.retention``) writes in place of free text.
ANONYMISED_TEXT = "[anonymisé]"

# Append-only: a mistake is corrected by an `annulation` entry, never by an UPDATE or DELETE.
# One UPDATE is allowed, the anonymisation of a household past its retention period: the
# entries keep their money for the accounts' longer retention, but their typed text (motif,
# cheque or transfer reference) may name the household. So, and only on an entry of a
# household already marked anonymised, ``note`` and ``reference`` may become the marker while
# every other column (amounts, dates, kind, links, who and when: the whole row but those two,
# so that a column added later is covered too) stays exactly as it was.
APPEND_ONLY = f"""
    IF TG_OP = 'UPDATE'
        AND (to_jsonb(NEW) - 'note' - 'reference') = (to_jsonb(OLD) - 'note' - 'reference')
        AND NEW.note IN (OLD.note, '{ANONYMISED_TEXT}')
        AND NEW.reference IN (OLD.reference, '{ANONYMISED_TEXT}')
        -- Read under the row-level security of the transaction: the anonymisation runs as
        -- the entry's organisation; from anywhere else the household is not seen, and the
        -- update refused.
        AND EXISTS (
            SELECT 1 FROM tenancy_subleasecontract AS contract
            JOIN households_household AS household ON household.id = contract.household_id
            WHERE contract.id = OLD.contract_id AND household.anonymised_at IS NOT NULL
        )
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ledgerentry_append_only: % refused on tenancy_ledgerentry, which is '
        'append-only (a mistake is corrected by an annulation entry)', TG_OP;
"""


@pgtrigger.register(
    pgtrigger.Trigger(
        name="ledgerentry_append_only",
        when=pgtrigger.Before,
        operation=pgtrigger.Update | pgtrigger.Delete,
        func=APPEND_ONLY,
    ),
    pgtrigger.Trigger(
        name="ledgerentry_replaced_call_reversed",
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        timing=pgtrigger.Deferred,
        condition=pgtrigger.Q(new__replaces__isnull=False),
        declare=[("reading", "text"), ("valid", "boolean")],
        func=REPLACED_CALL_REVERSED,
    ),
)
class LedgerEntry(OrganisationOwned):
    """One line of a contract's account. Positive balance (debits - credits) is a debt.

    Rent calls (`appel`) carry their month (`period`) and its rent / charges split; payments
    (`paiement`) their receipt number; an `annulation` reverses exactly one earlier entry with
    the opposite amount.

    **One live rent call per contract and month.** The entries being append-only, a call that
    must change (an exit recorded late, a correction) is reversed and a new call *replaces*
    it. The calls of a month thus form a chain: the first has no ``replaces`` (unique per
    contract and month), each call is replaced at most once, and only by a call of the same
    month once it is reversed (deferred trigger). Every call of the chain but the last is
    therefore reversed: at most one is live. ``tenancy.calls`` keeps the chain.
    """

    # The operator's own identifier of the row (interchange workbook, ``workbook``).
    ref = models.CharField("référence", max_length=50, blank=True)
    contract = models.ForeignKey(
        SubleaseContract, on_delete=models.PROTECT, related_name="entries", verbose_name="contrat"
    )
    date = models.DateField("date")
    kind = models.CharField("nature", max_length=20, choices=LedgerKind.choices)
    debit = money_field("débit", default=0)
    credit = money_field("crédit", default=0)
    period = models.DateField("mois", null=True, blank=True, help_text="Premier jour du mois.")
    rent_part = money_field("dont loyer", null=True, blank=True)
    charges_part = money_field("dont charges", null=True, blank=True)
    method = models.CharField("mode de paiement", max_length=20, blank=True,
                              choices=PaymentMethod.choices)  # fmt: skip
    number = models.CharField("numéro de reçu", max_length=20, blank=True)
    reference = models.CharField("référence", max_length=100, blank=True,
                                 help_text="N° de chèque, référence du virement…")  # fmt: skip
    note = models.CharField("motif", max_length=300, blank=True)
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        verbose_name="écriture annulée",
    )
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacements",
        verbose_name="appel remplacé",
        help_text="L’appel annulé du même mois que cet appel remplace.",
    )
    # Empty for what the jobs issue (rent calls).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("saisie le", auto_now_add=True)

    objects = OrganisationScopedManager.from_queryset(LedgerEntryQuerySet)()

    class Meta(OrganisationOwned.Meta):
        verbose_name = "écriture"
        ordering = ["date", "pk"]
        indexes = [
            models.Index(fields=["contract", "date"], name="ledgerentry_contract_date"),
            models.Index(fields=["organisation", "date", "kind"], name="ledgerentry_org_date"),
        ]
        constraints = [
            public_id_unique("ledgerentry"),
            models.UniqueConstraint(
                fields=["organisation", "ref"],
                condition=~Q(ref=""),
                name="ledgerentry_ref_unique",
            ),
            choice_constraint("kind", LedgerKind),
            choice_constraint("method", PaymentMethod, blank=True),
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="ledgerentry_one_side",
                violation_error_message="Une écriture est soit un débit, soit un crédit, "
                "d’un montant positif.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=DEBIT_KINDS) | Q(credit=0),
                name="ledgerentry_debit_kinds",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=CREDIT_KINDS) | Q(debit=0),
                name="ledgerentry_credit_kinds",
            ),
            models.CheckConstraint(
                condition=Q(kind=LedgerKind.ANNULATION, reverses__isnull=False)
                | (~Q(kind=LedgerKind.ANNULATION) & Q(reverses__isnull=True)),
                name="ledgerentry_reversal_has_target",
            ),
            models.CheckConstraint(
                condition=Q(period__isnull=True) | Q(period__day=1),
                name="ledgerentry_period_first_day",
            ),
            models.CheckConstraint(
                condition=~Q(kind=LedgerKind.APPEL)
                | Q(
                    period__isnull=False,
                    rent_part__isnull=False,
                    charges_part__isnull=False,
                    debit=F("rent_part") + F("charges_part"),
                ),
                name="ledgerentry_call_split",
            ),
            models.CheckConstraint(
                condition=~Q(kind=LedgerKind.PAIEMENT) | (~Q(method="") & ~Q(number="")),
                name="ledgerentry_payment_numbered",
            ),
            # One first rent call per contract and month, even when the monthly job runs
            # twice or on two workers at once (INSERT … ON CONFLICT DO NOTHING); the others
            # replace a reversed one, each at most once: at most one call is live.
            models.UniqueConstraint(
                fields=["organisation", "contract", "period"],
                condition=Q(kind=LedgerKind.APPEL, replaces__isnull=True),
                name="ledgerentry_first_call_per_month",
            ),
            models.UniqueConstraint(
                fields=["organisation", "replaces"],
                condition=Q(replaces__isnull=False),
                name="ledgerentry_replaced_once",
            ),
            models.CheckConstraint(
                condition=Q(replaces__isnull=True) | Q(kind=LedgerKind.APPEL),
                name="ledgerentry_only_calls_replace",
            ),
            models.UniqueConstraint(
                fields=["organisation", "number"],
                condition=~Q(number=""),
                name="ledgerentry_number_unique",
            ),
            # An entry is reversed at most once.
            models.UniqueConstraint(
                fields=["organisation", "reverses"], name="ledgerentry_reversed_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.date:%d/%m/%Y}"

    @property
    def amount(self):
        return self.debit or self.credit


class ReceiptCounter(OrganisationOwned):
    """The last receipt number given in a year: one row per organisation and year, bumped by an
    upsert so that two payments recorded at the same instant get two numbers."""

    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta(OrganisationOwned.Meta):
        constraints = [
            public_id_unique("receiptcounter"),
            models.UniqueConstraint(
                fields=["organisation", "year"], name="receiptcounter_year_unique"
            ),
        ]


# --- Repayment plans ------------------------------------------------------------------------


@pghistory.track(model_name="RepaymentPlanHistory")
class RepaymentPlan(OrganisationOwned):
    """A plan d'apurement: the debt at signature repaid by monthly instalments on top of the
    residual rent. An instalment is honoured when, at its due date, the balance has come down
    to the debt minus the instalments due so far."""

    # The operator's own identifier of the row (interchange workbook, ``workbook``).
    ref = models.CharField("référence", max_length=50, blank=True)
    contract = models.ForeignKey(
        SubleaseContract, on_delete=models.PROTECT, related_name="plans", verbose_name="contrat"
    )
    signed_on = models.DateField("signé le")
    debt = money_field("dette à apurer")
    instalment = money_field("mensualité")
    first_due_date = models.DateField("première échéance")
    status = models.CharField(
        "état",
        max_length=10,
        choices=RepaymentPlanStatus.choices,
        default=RepaymentPlanStatus.ACTIF,
    )
    closed_on = models.DateField("clos le", null=True, blank=True)
    note = models.TextField("observations", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "plan d’apurement"
        verbose_name_plural = "plans d’apurement"
        ordering = ["-signed_on", "-pk"]
        constraints = [
            public_id_unique("repaymentplan"),
            models.UniqueConstraint(
                fields=["organisation", "ref"],
                condition=~Q(ref=""),
                name="repaymentplan_ref_unique",
            ),
            choice_constraint("status", RepaymentPlanStatus),
            models.CheckConstraint(
                condition=Q(debt__gt=0, instalment__gt=0),
                name="repaymentplan_amounts_positive",
                violation_error_message="La dette et la mensualité doivent être positives.",
            ),
            models.CheckConstraint(
                condition=Q(first_due_date__gte=F("signed_on")),
                name="repaymentplan_due_after_signature",
                violation_error_message="La première échéance ne peut précéder la signature.",
            ),
            models.CheckConstraint(
                condition=Q(status=RepaymentPlanStatus.ACTIF, closed_on__isnull=True)
                | (~Q(status=RepaymentPlanStatus.ACTIF) & Q(closed_on__isnull=False)),
                name="repaymentplan_closed_date",
            ),
            models.UniqueConstraint(
                fields=["organisation", "contract"],
                condition=Q(status=RepaymentPlanStatus.ACTIF),
                name="repaymentplan_one_active",
                violation_error_message="Ce contrat a déjà un plan d’apurement actif.",
            ),
        ]

    def __str__(self) -> str:
        return f"Plan d’apurement du {self.signed_on:%d/%m/%Y} ({self.contract})"


class Instalment(OrganisationOwned):
    """One due date of a repayment plan's schedule, fixed at signature."""

    plan = models.ForeignKey(RepaymentPlan, on_delete=models.CASCADE, related_name="instalments")
    number = models.PositiveSmallIntegerField("n°")
    due_date = models.DateField("échéance")
    amount = money_field("montant")

    class Meta(OrganisationOwned.Meta):
        verbose_name = "échéance"
        ordering = ["plan", "number"]
        constraints = [
            public_id_unique("instalment"),
            models.UniqueConstraint(
                fields=["organisation", "plan", "number"], name="instalment_number_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]


# --- Inventories (états des lieux) and incidents --------------------------------------------


class InventoryKind(models.TextChoices):
    ENTREE = "entree", "état des lieux d’entrée"
    SORTIE = "sortie", "état des lieux de sortie"


class ItemCondition(models.TextChoices):
    NEUF = "neuf", "neuf"
    BON = "bon", "bon état"
    USAGE = "usage", "état d’usage"
    MAUVAIS = "mauvais", "mauvais état"
    HORS_SERVICE = "hors_service", "hors service"


@pghistory.track(model_name="InventoryHistory")
class Inventory(OrganisationOwned):
    contract = models.ForeignKey(
        SubleaseContract, on_delete=models.PROTECT, related_name="inventories"
    )
    kind = models.CharField("type", max_length=10, choices=InventoryKind.choices)
    date = models.DateField("date")
    notes = models.TextField("observations générales", blank=True)
    damages = money_field(
        "dégradations facturées", default=0, help_text="À la sortie : montant dû par le ménage."
    )
    damages_entry = models.ForeignKey(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "état des lieux"
        verbose_name_plural = "états des lieux"
        ordering = ["contract", "date"]
        constraints = [
            public_id_unique("inventory"),
            choice_constraint("kind", InventoryKind),
            models.UniqueConstraint(
                fields=["organisation", "contract", "kind"],
                name="inventory_one_per_kind",
                violation_error_message="Cet état des lieux existe déjà pour ce contrat.",
            ),
            models.UniqueConstraint(
                fields=["organisation", "damages_entry"], name="inventory_damages_entry_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind=InventoryKind.SORTIE) | Q(damages=0),
                name="inventory_damages_at_exit",
                violation_error_message="Des dégradations ne se facturent qu’à la sortie.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du {self.date:%d/%m/%Y}"


class InventoryItem(OrganisationOwned):
    inventory = models.ForeignKey(Inventory, on_delete=models.CASCADE, related_name="items")
    room = models.CharField("pièce", max_length=60)
    item = models.CharField("élément", max_length=100)
    condition = models.CharField("état", max_length=20, choices=ItemCondition.choices)
    notes = models.CharField("remarques", max_length=300, blank=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "élément d’état des lieux"
        ordering = ["inventory", "pk"]
        constraints = [
            public_id_unique("inventoryitem"),
            choice_constraint("condition", ItemCondition),
        ]


class IncidentKind(models.TextChoices):
    FUITE = "fuite", "fuite d’eau, dégât des eaux"
    CHAUFFAGE = "chauffage", "chauffage, eau chaude"
    ELECTRICITE = "electricite", "électricité"
    MENUISERIE = "menuiserie", "fenêtre, porte, serrure"
    HUMIDITE = "humidite", "humidité, moisissures"
    NUISIBLES = "nuisibles", "nuisibles"
    EQUIPEMENT = "equipement", "équipement, électroménager"
    VOISINAGE = "voisinage", "trouble de voisinage"
    AUTRE = "autre", "autre"


class IncidentStatus(models.TextChoices):
    SIGNALE = "signale", "signalé"
    EN_COURS = "en_cours", "en cours de traitement"
    RESOLU = "resolu", "résolu"


@pghistory.track(model_name="IncidentHistory")
class Incident(OrganisationOwned):
    """A technical problem of a unit (leak, window, mould…), followed until it is fixed."""

    unit = models.ForeignKey(
        "housing.HousingUnit",
        on_delete=models.PROTECT,
        related_name="incidents",
        verbose_name="logement",
    )
    kind = models.CharField("nature", max_length=20, choices=IncidentKind.choices)
    description = models.TextField("description")
    reported_on = models.DateField("signalé le")
    status = models.CharField(
        "état", max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.SIGNALE
    )
    resolved_on = models.DateField("résolu le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "incident technique"
        verbose_name_plural = "incidents techniques"
        ordering = ["-reported_on", "-pk"]
        indexes = [models.Index(fields=["organisation", "status"], name="incident_org_status")]
        constraints = [
            public_id_unique("incident"),
            choice_constraint("kind", IncidentKind),
            choice_constraint("status", IncidentStatus),
            models.CheckConstraint(
                condition=Q(status=IncidentStatus.RESOLU, resolved_on__isnull=False)
                | (~Q(status=IncidentStatus.RESOLU) & Q(resolved_on__isnull=True)),
                name="incident_resolved_date",
                violation_error_message="Un incident résolu a une date de résolution, et "
                "seulement lui.",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("reported_on")),
                name="incident_resolved_after_report",
                violation_error_message="La résolution ne peut précéder le signalement.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.unit}"


# --- Owner side -----------------------------------------------------------------------------


class LandlordPayment(OrganisationOwned):
    """Rent the operator paid a landlord under a main lease, for one month."""

    lease = models.ForeignKey(
        "housing.MainLease",
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name="bail principal",
    )
    period = models.DateField("mois", help_text="Premier jour du mois.")
    paid_on = models.DateField("payé le")
    amount = money_field("montant")
    method = models.CharField("mode de paiement", max_length=20, choices=PaymentMethod.choices,
                              default=PaymentMethod.VIREMENT)  # fmt: skip
    reference = models.CharField("référence", max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "paiement au bailleur"
        verbose_name_plural = "paiements aux bailleurs"
        ordering = ["-period", "-pk"]
        indexes = [models.Index(fields=["organisation", "period"], name="landlordpayment_period")]
        constraints = [
            public_id_unique("landlordpayment"),
            choice_constraint("method", PaymentMethod),
            models.CheckConstraint(condition=Q(amount__gt=0), name="landlordpayment_positive"),
            models.CheckConstraint(
                condition=Q(period__day=1), name="landlordpayment_period_first_day"
            ),
        ]
