"""The régisseur's bank: the organisation's accounts, the statements imported from them and
their lines, what each credit line became in the households' ledgers, the CAF's detail of its
bulk payment, and SEPA direct debits (mandates, monthly runs, rejections).

A bank line is stored once per account (``fingerprint``: the bank's transaction id, else a
hash of date, amount, label and rank among identical lines of its statement), so importing
overlapping statements twice creates nothing. A line is the *source* of the ledger entries
written from it (``Allocation``): a wrong match is corrected by reversing the entry, as
everywhere in the ledger, and the line's unallocated remainder is again to match.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from banking.codes import CafRowStatus, ImportStatus, LineStatus, RejectionReason, StatementFormat
from housing.models import money_field
from iml.codes import LedgerKind, choice_constraint
from iml.scoping import OrganisationOwned, public_id_unique


def signed_amount(verbose_name: str, **kwargs) -> models.DecimalField:
    """Euros with cents, positive for money in (a credit of the account), negative out."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class BankAccount(OrganisationOwned):
    label = models.CharField("nom du compte", max_length=100)
    iban = models.CharField("IBAN", max_length=34, help_text="Vérifié, enregistré sans espaces.")
    bic = models.CharField("BIC", max_length=11, blank=True)
    creditor_id = models.CharField(
        "identifiant créancier SEPA (ICS)",
        max_length=35,
        blank=True,
        help_text="Nécessaire pour émettre des prélèvements.",
    )
    # The CSV columns of this bank (``banking.parsers.csv``), saved at the first CSV import.
    csv_mapping = models.JSONField("correspondance des colonnes CSV", default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "compte bancaire"
        ordering = ["label", "pk"]
        constraints = [
            public_id_unique("bankaccount"),
            models.UniqueConstraint(
                fields=["organisation", "iban"],
                name="bankaccount_iban_unique",
                violation_error_message="Ce compte (IBAN) est déjà enregistré.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} (…{self.iban[-4:]})"


class BankStatement(OrganisationOwned):
    """One imported file: what it brought (new lines, lines already known) and what the
    matching made of them; ``progress`` for a long import run by the worker."""

    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="statements", verbose_name="compte"
    )
    file_name = models.CharField("fichier", max_length=255)
    format = models.CharField("format", max_length=10, choices=StatementFormat.choices)
    status = models.CharField(
        "état", max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    errors = models.JSONField("erreurs", default=list, blank=True)
    # The file while the worker reads it; emptied once imported.
    content = models.BinaryField("contenu", null=True, blank=True, editable=False)
    period_start = models.DateField("du", null=True, blank=True)
    period_end = models.DateField("au", null=True, blank=True)
    lines_new = models.PositiveIntegerField("lignes nouvelles", default=0)
    lines_known = models.PositiveIntegerField("lignes déjà importées", default=0)
    lines_matched = models.PositiveIntegerField("rapprochées automatiquement", default=0)
    lines_proposed = models.PositiveIntegerField("proposées", default=0)
    lines_suspense = models.PositiveIntegerField("en attente", default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("importé le", auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "relevé bancaire"
        ordering = ["-created_at", "-pk"]
        constraints = [
            public_id_unique("bankstatement"),
            choice_constraint("format", StatementFormat),
            choice_constraint("status", ImportStatus),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="bankstatement_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


class BankLine(OrganisationOwned):
    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="lines", verbose_name="compte"
    )
    # The first statement that brought it (a later overlapping one finds it known).
    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="lines", verbose_name="relevé"
    )
    booked_on = models.DateField("date d’opération")
    value_on = models.DateField("date de valeur", null=True, blank=True)
    amount = signed_amount("montant", help_text="Positif au crédit du compte, négatif au débit.")
    label = models.CharField("libellé", max_length=500)
    counterparty = models.CharField("contrepartie", max_length=200, blank=True)
    reference = models.CharField(
        "référence",
        max_length=200,
        blank=True,
        help_text="Référence de bout en bout, motif structuré…",
    )
    bank_id = models.CharField("identifiant bancaire", max_length=100, blank=True)
    # A returned direct debit's ISO 20022 reason (AM04…), as the bank's statement gives it.
    return_reason = models.CharField("motif de retour", max_length=4, blank=True)
    fingerprint = models.CharField(max_length=80, editable=False)
    status = models.CharField(
        "état", max_length=12, choices=LineStatus.choices, default=LineStatus.SUSPENSE
    )
    note = models.CharField("note", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "ligne de relevé"
        ordering = ["booked_on", "pk"]
        indexes = [
            models.Index(
                fields=["organisation", "status", "booked_on"], name="bankline_org_status"
            ),
            models.Index(fields=["account", "booked_on"], name="bankline_account_date"),
        ]
        constraints = [
            public_id_unique("bankline"),
            models.UniqueConstraint(
                fields=["account", "fingerprint"], name="bankline_once_per_account"
            ),
            choice_constraint("status", LineStatus),
            models.CheckConstraint(condition=~Q(amount=0), name="bankline_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on:%d/%m/%Y} {self.label[:40]} {self.amount}"


class Allocation(OrganisationOwned):
    """A part of a bank line written into a household's ledger: the entry's source. A line
    may be split across households (several allocations)."""

    line = models.ForeignKey(
        BankLine,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name="ligne de relevé",
    )
    entry = models.OneToOneField(
        "tenancy.LedgerEntry",
        on_delete=models.PROTECT,
        related_name="bank_allocation",
        verbose_name="écriture",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "rapprochement"
        constraints = [public_id_unique("allocation")]


class MatchProposal(OrganisationOwned):
    """A ranked guess of what a credit line is (``banking.matching``), kept until the line is
    matched; recomputed on demand."""

    line = models.ForeignKey(BankLine, on_delete=models.CASCADE, related_name="proposals")
    contract = models.ForeignKey(
        "tenancy.SubleaseContract", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(
        "nature", max_length=20, choices=LedgerKind.choices, default=LedgerKind.PAIEMENT
    )
    amount = money_field("montant")
    score = models.PositiveSmallIntegerField("score")
    rank = models.PositiveSmallIntegerField("rang")
    reasons = models.CharField("pourquoi", max_length=300)
    # No doubt left (a reference in the label): written without waiting for a confirmation.
    certain = models.BooleanField(default=False)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "proposition de rapprochement"
        ordering = ["line", "rank"]
        constraints = [
            public_id_unique("matchproposal"),
            models.UniqueConstraint(fields=["line", "rank"], name="matchproposal_rank_unique"),
            models.CheckConstraint(condition=Q(score__lte=100), name="matchproposal_score"),
        ]


# --- The CAF's bulk payment -------------------------------------------------------------------


class CafNotice(OrganisationOwned):
    """The CAF's detail of one bulk payment (its CSV list of beneficiaries), which splits the
    CAF's bank line per household."""

    line = models.OneToOneField(
        BankLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caf_notice",
        verbose_name="ligne de relevé",
    )
    month = models.DateField("mois", help_text="Premier jour du mois versé.")
    file_name = models.CharField("fichier", max_length=255)
    confirmed_at = models.DateTimeField("confirmé le", null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "détail d’un versement CAF"
        ordering = ["-month", "-pk"]
        constraints = [public_id_unique("cafnotice")]


class CafNoticeRow(OrganisationOwned):
    notice = models.ForeignKey(CafNotice, on_delete=models.CASCADE, related_name="rows")
    allocataire = models.CharField("n° d’allocataire", max_length=20)
    name = models.CharField("nom", max_length=200)
    period = models.DateField("mois")
    amount = money_field("montant")
    household = models.ForeignKey(
        "households.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contract = models.ForeignKey(
        "tenancy.SubleaseContract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expected = money_field("aide attendue", null=True, blank=True)
    status = models.CharField("contrôle", max_length=10, choices=CafRowStatus.choices)
    entry = models.OneToOneField(
        "tenancy.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(OrganisationOwned.Meta):
        verbose_name = "ligne du détail CAF"
        ordering = ["notice", "name", "pk"]
        constraints = [public_id_unique("cafnoticerow"), choice_constraint("status", CafRowStatus)]


# --- SEPA direct debit --------------------------------------------------------------------------


class Mandate(OrganisationOwned):
    """A household's SEPA direct-debit mandate (RUM), for its residual rent."""

    household = models.ForeignKey(
        "households.Household",
        on_delete=models.PROTECT,
        related_name="mandates",
        verbose_name="ménage",
    )
    reference = models.CharField("référence unique du mandat (RUM)", max_length=35)
    debtor_name = models.CharField("titulaire du compte", max_length=140)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11, blank=True)
    signed_on = models.DateField("signé le")
    debit_day = models.PositiveSmallIntegerField(
        "jour du prélèvement", help_text="Du 1 au 28, le jour choisi par le ménage."
    )
    revoked_on = models.DateField("révoqué le", null=True, blank=True)
    paper = models.ForeignKey(
        "papers.Paper",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="mandat signé (pièce)",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "mandat de prélèvement"
        ordering = ["-signed_on", "-pk"]
        constraints = [
            public_id_unique("mandate"),
            models.UniqueConstraint(
                fields=["organisation", "reference"],
                name="mandate_reference_unique",
                violation_error_message="Cette référence de mandat (RUM) existe déjà.",
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(revoked_on__isnull=True),
                name="mandate_one_active_per_household",
                violation_error_message="Le ménage a déjà un mandat en cours : révoquez-le "
                "d’abord.",
            ),
            models.CheckConstraint(
                condition=Q(debit_day__gte=1, debit_day__lte=28),
                name="mandate_debit_day_range",
                violation_error_message="Le jour du prélèvement va du 1 au 28.",
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | Q(revoked_on__gte=F("signed_on")),
                name="mandate_revoked_after_signed",
                violation_error_message="La révocation ne peut pas précéder la signature.",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class DebitRun(OrganisationOwned):
    """A month's debit file (pain.008) of one account."""

    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="runs", verbose_name="compte"
    )
    month = models.DateField("mois", help_text="Premier jour du mois prélevé.")
    message_id = models.CharField("identifiant du message", max_length=35)
    xml = models.TextField("fichier pain.008")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "remise de prélèvements"
        ordering = ["-month", "-pk"]
        constraints = [
            public_id_unique("debitrun"),
            models.UniqueConstraint(
                fields=["account", "month"],
                name="debitrun_once_a_month",
                violation_error_message="Les prélèvements de ce mois sont déjà émis sur ce compte.",
            ),
        ]


class Debit(OrganisationOwned):
    run = models.ForeignKey(DebitRun, on_delete=models.PROTECT, related_name="debits")
    mandate = models.ForeignKey(Mandate, on_delete=models.PROTECT, related_name="debits")
    contract = models.ForeignKey(
        "tenancy.SubleaseContract", on_delete=models.PROTECT, related_name="+"
    )
    amount = money_field("montant")
    collection_on = models.DateField("prélevé le")
    end_to_end_id = models.CharField("référence de bout en bout", max_length=35)
    # The household's payment, once the collection is in the account.
    entry = models.OneToOneField(
        "tenancy.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejected_on = models.DateField("rejeté le", null=True, blank=True)
    rejection_reason = models.CharField(
        "motif du rejet", max_length=4, blank=True, choices=RejectionReason.choices
    )
    reversal = models.OneToOneField(
        "tenancy.LedgerEntry", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(OrganisationOwned.Meta):
        verbose_name = "prélèvement"
        ordering = ["collection_on", "pk"]
        constraints = [
            public_id_unique("debit"),
            models.UniqueConstraint(
                fields=["organisation", "end_to_end_id"], name="debit_end_to_end_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="debit_amount_positive"),
            models.CheckConstraint(
                condition=Q(rejected_on__isnull=True, rejection_reason="")
                | Q(rejected_on__isnull=False),
                name="debit_reason_with_rejection",
            ),
        ]
