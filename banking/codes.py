"""The bank's codes: statement formats, the state of a bank line, SEPA rejection reasons."""

from __future__ import annotations

from django.db import models


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", "CAMT.053 (relevé ISO 20022)"
    OFX = "ofx", "OFX"
    CSV = "csv", "CSV"


class ImportStatus(models.TextChoices):
    RUNNING = "en_cours", "en cours"
    DONE = "termine", "terminé"
    FAILED = "echec", "en échec"


class LineStatus(models.TextChoices):
    """A credit line waits (no proposal), is proposed (awaiting the régisseur's confirmation)
    or matched (fully written into ledgers); a line that is no household's (bank fees, a
    landlord's payment) is set aside with a note."""

    SUSPENSE = "attente", "en attente"
    PROPOSED = "proposee", "proposition à confirmer"
    MATCHED = "rapprochee", "rapprochée"
    IGNORED = "ecartee", "écartée (sans rapport avec un ménage)"


class CafRowStatus(models.TextChoices):
    OK = "ok", "conforme"
    DIFFERENT = "ecart", "montant différent de l’aide attendue"
    UNKNOWN = "inconnu", "allocataire inconnu"


class RejectionReason(models.TextChoices):
    """The usual SEPA direct-debit return codes (ISO 20022 ExternalReturnReason1Code)."""

    AC01 = "AC01", "IBAN incorrect"
    AC04 = "AC04", "compte clôturé"
    AC06 = "AC06", "compte bloqué"
    AM04 = "AM04", "provision insuffisante"
    MD01 = "MD01", "pas de mandat"
    MD06 = "MD06", "contestation du débiteur"
    MS02 = "MS02", "refus du débiteur"
    MS03 = "MS03", "raison non communiquée"
    SL01 = "SL01", "service spécifique de la banque du débiteur"
