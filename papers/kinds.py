"""The kinds of papers an operator keeps, who may read them, and which expire under watch.

The codes are ``iml.codes.PaperKind`` (a dispositif's checklist names them). An organisation
adds its own kinds (``papers.models.PaperType``), filed under ``autre`` with their label.
"""

from __future__ import annotations

from django.db import models

from iml.codes import PaperKind


class Audience(models.TextChoices):
    """Who reads a paper: identity and housing papers are the régisseur's business too; the
    social file is the social workers' and the heads' only."""

    IDENTITY = "identite", "identité et ressources"
    HOUSING = "logement", "logement"
    SOCIAL = "social", "dossier social"


AUDIENCE: dict[str, Audience] = {
    PaperKind.IDENTITE: Audience.IDENTITY,
    PaperKind.TITRE_SEJOUR: Audience.IDENTITY,
    PaperKind.RECEPISSE: Audience.IDENTITY,
    PaperKind.PROTECTION: Audience.IDENTITY,
    PaperKind.CAF: Audience.IDENTITY,
    PaperKind.RIB: Audience.IDENTITY,
    PaperKind.ASSURANCE: Audience.HOUSING,
    PaperKind.SOUS_LOCATION: Audience.HOUSING,
    PaperKind.AVENANT: Audience.HOUSING,
    PaperKind.ETAT_DES_LIEUX: Audience.HOUSING,
    PaperKind.BAIL: Audience.HOUSING,
    PaperKind.MANDAT: Audience.HOUSING,
    PaperKind.ANAH: Audience.HOUSING,
    PaperKind.DPE: Audience.HOUSING,
    PaperKind.GARANTIE: Audience.HOUSING,
    PaperKind.RECU: Audience.HOUSING,
    PaperKind.IMPOTS: Audience.SOCIAL,
    PaperKind.NUR: Audience.SOCIAL,
    PaperKind.DALO: Audience.SOCIAL,
    PaperKind.ACCOMPAGNEMENT: Audience.SOCIAL,
    PaperKind.COURRIER: Audience.SOCIAL,
    PaperKind.AUTRE: Audience.SOCIAL,
}

# The papers whose end of validity is watched by the daily alert job, with what the alert
# says beyond « expire le … ». A renewed récépissé or titre de séjour must reach the CAF at
# once: until then it suspends the housing benefit and a debt appears (seed 001).
WATCHED: dict[str, str] = {
    PaperKind.TITRE_SEJOUR: "sans renouvellement transmis, la CAF suspend l’aide au logement",
    PaperKind.RECEPISSE: "sans renouvellement transmis, la CAF suspend l’aide au logement",
    PaperKind.CAF: "droits à renouveler auprès de la CAF",
    PaperKind.ASSURANCE: "attestation d’assurance à demander",
    PaperKind.NUR: "demande de logement social à renouveler (sinon radiée)",
    PaperKind.GARANTIE: "garantie à renouveler",
    PaperKind.BAIL: "fin du bail principal",
    PaperKind.ANAH: "fin de la convention ANAH",
}

# Papers about a home or its owner (not a household's).
HOME_KINDS = (PaperKind.BAIL, PaperKind.MANDAT, PaperKind.ANAH, PaperKind.DPE,
              PaperKind.GARANTIE, PaperKind.COURRIER, PaperKind.AUTRE)  # fmt: skip

# What each dispositif asks for by default (its checklist, changed per dispositif).
DEFAULT_CHECKLIST = [PaperKind.TITRE_SEJOUR, PaperKind.RIB, PaperKind.CAF]
