"""Every enumerated value of shared/docs/codes.md, with its French label.

These codes are a contract: the annual report, the JSON and the workbook use exactly them.
A value outside a list is an input error, never mapped to "autre". Models add a
``CheckConstraint`` per coded column (see ``choice_constraint``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


def choice_constraint(field: str, choices: type[models.TextChoices], *, blank: bool = False):
    """A database check that ``field`` holds one of the codes (or '' when ``blank``)."""
    allowed = list(choices.values) + ([""] if blank else [])
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": allowed}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
    )


def array_choice_constraint(field: str, choices: type[models.TextChoices]):
    """A database check that every element of the array ``field`` is one of the codes."""
    return models.CheckConstraint(
        condition=Q(**{f"{field}__contained_by": list(choices.values)}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
    )


class Sex(models.TextChoices):
    F = "f", "femme"
    M = "m", "homme"
    X = "x", "non précisé"


class PersonRole(models.TextChoices):
    REFERENT = "referent", "personne de référence"
    CONJOINT = "conjoint", "conjoint·e"
    ENFANT = "enfant", "enfant"
    AUTRE = "autre", "autre adulte"


class ProtectionStatus(models.TextChoices):
    REFUGIE = "refugie", "réfugié·e"
    PROTECTION_SUBSIDIAIRE = "protection_subsidiaire", "protection subsidiaire"
    APATRIDE = "apatride", "apatride"
    REGULARISE = "regularise", "régularisé·e"
    DEMANDEUR_ASILE = "demandeur_asile", "demandeur d’asile"
    FRANCAIS = "francais", "nationalité française"
    AUTRE = "autre", "autre"


class PriorSituation(models.TextChoices):
    ASILE = "asile", "hébergement spécialisé asile (CADA, HUDA, CAO, PRAHDA, CPH)"
    HEBERGEMENT_GENERALISTE = (
        "hebergement_generaliste",
        "hébergement généraliste (CHRS, stabilisation, hôtel)",
    )
    LOGEMENT_ADAPTE = (
        "logement_adapte",
        "logement adapté (résidence sociale, FJT, pension de famille)",
    )
    LOGEMENT_AUTONOME = "logement_autonome", "logement autonome"
    TIERS = "tiers", "hébergé chez des tiers"
    RUE = "rue", "rue / 115 / habitat précaire"
    AUTRE = "autre", "autre"


class Resource(models.TextChoices):
    SALAIRE = "salaire", "salaire"
    RSA = "rsa", "RSA"
    PRIME_ACTIVITE = "prime_activite", "prime d’activité"
    PRESTATIONS_FAMILIALES = "prestations_familiales", "prestations familiales"
    ARE = "are", "allocation chômage (ARE)"
    AAH = "aah", "AAH"
    AEEH = "aeeh", "AEEH"
    CEJ = "cej", "Contrat d’Engagement Jeune"
    FORMATION = "formation", "rémunération de formation"
    RETRAITE = "retraite", "retraite / pension"
    AUTRE = "autre", "autre ressource"
    AUCUNE = "aucune", "sans ressources"


def resource_combination(codes: list[str] | tuple[str, ...]) -> str:
    """The report key of a set of resources: codes sorted and joined with '+'."""
    return "+".join(sorted(set(codes)))


class Employment(models.TextChoices):
    SANS_EMPLOI = "sans_emploi", "sans emploi"
    COURS_FRANCAIS = "cours_francais", "en cours de français"
    SIAE = "siae", "structure d’insertion par l’activité économique"
    EMPLOI = "emploi", "entreprise classique (CDI, CDD, intérim)"
    FORMATION = "formation", "formation professionnelle"
    INDEPENDANT = "independant", "auto-entrepreneur"
    ETUDES = "etudes", "études"
    RETRAITE = "retraite", "retraite"
    INACTIF = "inactif", "autre inactivité"


class ExitDestination(models.TextChoices):
    LOGEMENT_SOCIAL = "logement_social", "logement autonome, bailleur social"
    LOGEMENT_PRIVE = "logement_prive", "logement autonome, bailleur privé"
    LOGEMENT_ACCOMPAGNE = (
        "logement_accompagne",
        "logement accompagné (résidence sociale, pension de famille, FJT…)",
    )
    HORS_DEPARTEMENT = "hors_departement", "relogement hors département"
    TIERS = "tiers", "hébergé chez un tiers"
    HEBERGEMENT_INSERTION = (
        "hebergement_insertion",
        "hébergement d’insertion (CHRS, CPH, stabilisation)",
    )
    HEBERGEMENT_URGENCE = "hebergement_urgence", "hébergement d’urgence, 115"
    INSTITUTION = "institution", "institution (soins, hôpital…)"
    CHANGEMENT_DISPOSITIF = "changement_dispositif", "orienté vers un autre dispositif"
    SANS_ADRESSE = "sans_adresse", "départ sans laisser d’adresse"
    EXPULSION = "expulsion", "expulsion / fin de contrat sans solution"
    DECES = "deces", "décès"
    FIN_PRISE_EN_CHARGE = "fin_prise_en_charge", "fin de prise en charge sans solution connue"
    AUTRE = "autre", "autre"


class DestinationCategory(models.TextChoices):
    PERENNE = "perenne", "solution pérenne"
    TRANSITOIRE = "transitoire", "solution transitoire"
    SANS_SOLUTION = "sans_solution", "sans solution"
    AUTRE = "autre", "autre"


DESTINATION_CATEGORY: dict[str, str] = {
    ExitDestination.LOGEMENT_SOCIAL: DestinationCategory.PERENNE,
    ExitDestination.LOGEMENT_PRIVE: DestinationCategory.PERENNE,
    ExitDestination.LOGEMENT_ACCOMPAGNE: DestinationCategory.PERENNE,
    ExitDestination.HORS_DEPARTEMENT: DestinationCategory.PERENNE,
    ExitDestination.TIERS: DestinationCategory.TRANSITOIRE,
    ExitDestination.HEBERGEMENT_INSERTION: DestinationCategory.TRANSITOIRE,
    ExitDestination.HEBERGEMENT_URGENCE: DestinationCategory.TRANSITOIRE,
    ExitDestination.INSTITUTION: DestinationCategory.TRANSITOIRE,
    ExitDestination.CHANGEMENT_DISPOSITIF: DestinationCategory.TRANSITOIRE,
    ExitDestination.SANS_ADRESSE: DestinationCategory.SANS_SOLUTION,
    ExitDestination.EXPULSION: DestinationCategory.SANS_SOLUTION,
    ExitDestination.DECES: DestinationCategory.AUTRE,
    ExitDestination.FIN_PRISE_EN_CHARGE: DestinationCategory.AUTRE,
    ExitDestination.AUTRE: DestinationCategory.AUTRE,
}

# A bail glissant exit keeps the household in its home: autonomous housing only.
BAIL_GLISSANT_DESTINATIONS = (ExitDestination.LOGEMENT_SOCIAL, ExitDestination.LOGEMENT_PRIVE)


class ExitSupport(models.TextChoices):
    AGIR = "agir", "AGIR"
    ASLL = "asll", "ASLL"
    AVDL = "avdl", "AVDL"
    IML = "iml", "autre mesure IML"
    AUTRE = "autre", "autre"


class WithdrawalReason(models.TextChoices):
    SITUATION_CHANGEE = "situation_changee", "situation évoluée / mise en suspens"
    REORIENTATION = "reorientation", "réorientée vers un autre dispositif"
    REFUS_MENAGE = "refus_menage", "refus du ménage"
    REFUS_OPERATEUR = "refus_operateur", "refus de l’opérateur"
    SANS_NOUVELLES = "sans_nouvelles", "sans nouvelles"
    AUTRE = "autre", "autre"


class Typology(models.TextChoices):
    T1 = "t1", "T1 / studio"
    T2 = "t2", "T2"
    T3 = "t3", "T3"
    T4 = "t4", "T4"
    T5 = "t5", "T5"
    T6 = "t6", "T6 et plus"


class Parc(models.TextChoices):
    PRIVE = "prive", "parc privé"
    PUBLIC = "public", "parc public (bailleur social)"


class ManagementMode(models.TextChoices):
    SOUS_LOCATION = "sous_location", "location / sous-location"
    BAIL_GLISSANT = "bail_glissant", "sous-location en vue d’un bail glissant"
    MANDAT_GESTION = "mandat_gestion", "mandat de gestion"


class AnahConvention(models.TextChoices):
    AUCUN = "aucun", "aucun conventionnement"
    SANS_TRAVAUX = "sans_travaux", "conventionné sans travaux"
    AVEC_TRAVAUX = "avec_travaux", "conventionné avec travaux"


class UnitReturnReason(models.TextChoices):
    GLISSEMENT_BAIL = "glissement_bail", "bail glissé au ménage"
    REPRISE_PROPRIETAIRE = "reprise_proprietaire", "reprise par le propriétaire"
    FIN_CONVENTION = "fin_convention", "fin de convention"
    INSECURITE = "insecurite", "logement jugé inadapté / insécurisé"
    AUTRE = "autre", "autre"


class LedgerKind(models.TextChoices):
    APPEL = "appel", "appel de loyer"
    PAIEMENT = "paiement", "paiement du ménage"
    APL = "apl", "aide au logement (CAF)"
    AIDE = "aide", "autre aide (FSL…)"
    REGULARISATION = "regularisation", "régularisation de charges"
    DEGRADATION = "degradation", "dégradations"
    ANNULATION = "annulation", "annulation d’écriture"


class PaymentMethod(models.TextChoices):
    ESPECES = "especes", "espèces"
    VIREMENT = "virement", "virement"
    PRELEVEMENT = "prelevement", "prélèvement"
    CHEQUE = "cheque", "chèque"
    CAF = "caf", "versement CAF"
    AUTRE = "autre", "autre"


class RepaymentPlanStatus(models.TextChoices):
    ACTIF = "actif", "actif"
    SOLDE = "solde", "soldé"
    ROMPU = "rompu", "rompu"


class InteractionType(models.TextChoices):
    VISITE_DOMICILE = "visite_domicile", "visite à domicile"
    RDV_BUREAU = "rdv_bureau", "rendez-vous au bureau"
    TELEPHONE = "telephone", "entretien téléphonique"
    VISITE_CONJOINTE = "visite_conjointe", "visite conjointe travailleur social + régisseur"
    ACCOMPAGNEMENT_EXTERIEUR = (
        "accompagnement_exterieur",
        "accompagnement physique (CAF, préfecture…)",
    )
    ATELIER_COLLECTIF = "atelier_collectif", "atelier collectif"
    RDV_NON_HONORE = "rdv_non_honore", "rendez-vous non honoré"


class SupportDomain(models.TextChoices):
    ADMINISTRATIF = "administratif", "démarches administratives, accès aux droits"
    BUDGET = "budget", "gestion budgétaire"
    LOGEMENT = "logement", "appropriation et entretien du logement, relogement"
    SANTE = "sante", "santé"
    EMPLOI = "emploi", "emploi, formation"
    LANGUE = "langue", "apprentissage du français"
    TITRE_SEJOUR = "titre_sejour", "état civil, titres de séjour, OFPRA"
    FAMILLE = "famille", "parentalité, scolarité, réunification familiale"
    SOCIAL = "social", "lien social, isolement"
    MOBILITE = "mobilite", "mobilité"


# Papers kept in the file (``papers``): the kinds, of a household or of a home.
class PaperKind(models.TextChoices):
    IDENTITE = "identite", "pièce d’identité / passeport"
    TITRE_SEJOUR = "titre_sejour", "titre de séjour"
    RECEPISSE = "recepisse", "récépissé"
    PROTECTION = "protection_ofpra", "attestation de protection (OFPRA)"
    CAF = "attestation_caf", "attestation CAF / droits"
    IMPOTS = "avis_imposition", "avis d’imposition"
    ASSURANCE = "assurance", "attestation d’assurance habitation"
    RIB = "rib", "RIB"
    NUR = "demande_logement", "demande de logement social (NUR)"
    DALO = "decision_dalo", "décision DALO"
    SOUS_LOCATION = "contrat_sous_location", "contrat de sous-location signé"
    AVENANT = "avenant", "avenant signé"
    ACCOMPAGNEMENT = "contrat_accompagnement", "contrat d’accompagnement signé"
    ETAT_DES_LIEUX = "etat_des_lieux", "état des lieux signé"
    BAIL = "bail_principal", "bail principal"
    MANDAT = "mandat_gestion", "mandat de gestion"
    ANAH = "convention_anah", "convention ANAH"
    DPE = "dpe", "DPE (diagnostic de performance énergétique)"
    GARANTIE = "garantie", "garantie (Visale…)"
    RECU = "quittance", "reçu ou quittance"
    COURRIER = "courrier", "courrier"
    AUTRE = "autre", "autre"


# The road to housing of one's own (``rehousing``): proposals of a home and what became of them.
class CalDecision(models.TextChoices):
    EN_ATTENTE = "en_attente", "en attente de la commission"
    ATTRIBUEE = "attribuee", "attribuée (rang 1)"
    ATTRIBUEE_RANG = "attribuee_rang", "attribuée en rang 2 ou suivant"
    AJOURNEE = "ajournee", "ajournée"
    REFUSEE = "refusee", "refusée"


class ProposalAnswer(models.TextChoices):
    EN_ATTENTE = "en_attente", "réponse attendue"
    ACCEPTEE = "acceptee", "acceptée par le ménage"
    REFUSEE = "refusee", "refusée par le ménage"


class RefusalReason(models.TextChoices):
    TROP_LOIN = "trop_loin", "trop loin (travail, école, attaches)"
    TROP_CHER = "trop_cher", "trop cher"
    TYPOLOGIE = "typologie", "typologie inadaptée"
    ETAT = "etat", "état du logement"
    SANTE = "sante", "santé, accessibilité"
    SCOLARITE = "scolarite", "scolarité des enfants"
    AUTRE = "autre", "autre"


class MeasureKind(models.TextChoices):
    """A support measure during or after the stay (``rehousing.models.Measure``)."""

    AGIR = "agir", "AGIR (accompagnement global des réfugiés)"
    ASLL = "asll", "ASLL (accompagnement social lié au logement)"
    AVDL = "avdl", "AVDL (accompagnement vers et dans le logement)"
    FSL = "fsl", "FSL (fonds de solidarité logement)"
    IML = "iml", "autre mesure d’IML"
    CHRS_HORS_LES_MURS = "chrs_hors_les_murs", "CHRS hors les murs"
    AUTRE = "autre", "autre"


# The follow-ups after an exit, in months: does the household keep its home?
FOLLOW_UP_MONTHS = (1, 3, 6)
