"""Core models: organisations (the operators), their dispositifs, users and memberships."""

from __future__ import annotations

import datetime
import re
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.crypto import salted_hmac

from iml import territories
from iml.codes import PaperKind, array_choice_constraint
from iml.scoping import (
    OrganisationOwned,
    OrganisationScopedManager,
    OrganisationScopedQuerySet,
    public_id_unique,
)

DEFAULT_AGE_BRACKETS = "0-17;18-24;25-39;40-59;60+"


def default_required_papers() -> list[str]:
    return [PaperKind.TITRE_SEJOUR.value, PaperKind.RIB.value, PaperKind.CAF.value]


_BRACKET = re.compile(r"^(\d{1,3})-(\d{1,3})$|^(\d{1,3})\+$")


def validate_siret(value: str) -> None:
    """14 digits with a valid Luhn key (La Poste's establishments use another rule)."""
    if not re.fullmatch(r"\d{14}", value):
        raise ValidationError("Le SIRET compte exactement 14 chiffres.")
    if value.startswith("356000000"):
        if sum(int(d) for d in value) % 5:
            raise ValidationError("Ce SIRET n’est pas valide (clé de contrôle).")
        return
    total = 0
    for index, digit in enumerate(reversed(value)):
        number = int(digit) * (2 if index % 2 else 1)
        total += number - 9 if number > 9 else number
    if total % 10:
        raise ValidationError("Ce SIRET n’est pas valide (clé de contrôle).")


def parse_age_brackets(value: str) -> list[tuple[int, int | None]]:
    """``0-17;18-24;60+`` → [(0, 17), (18, 24), (60, None)]; contiguous, starting at 0."""
    brackets: list[tuple[int, int | None]] = []
    parts = [part.strip() for part in value.split(";") if part.strip()]
    if not parts:
        raise ValidationError("Indiquez au moins une tranche d’âge, par exemple « 0-17;18+ ».")
    for part in parts:
        match = _BRACKET.match(part)
        if not match:
            raise ValidationError(
                "Tranche « %(part)s » illisible : écrivez « 18-24 » ou « 60+ ».",
                params={"part": part},
            )
        low = int(match.group(1) or match.group(3))
        high = int(match.group(2)) if match.group(2) else None
        if high is not None and high < low:
            raise ValidationError("Tranche « %(part)s » : bornes inversées.", params={"part": part})
        expected = 0 if not brackets else (brackets[-1][1] or 0) + 1
        if brackets and brackets[-1][1] is None:
            raise ValidationError("La tranche ouverte (« 60+ ») doit être la dernière.")
        if low != expected:
            raise ValidationError(
                "Les tranches doivent se suivre sans trou ni chevauchement depuis 0 an "
                "(« %(part)s » devrait commencer à %(expected)s).",
                params={"part": part, "expected": expected},
            )
        brackets.append((low, high))
    if brackets[-1][1] is not None:
        raise ValidationError("La dernière tranche doit être ouverte, par exemple « 60+ ».")
    return brackets


def validate_age_brackets(value: str) -> None:
    parse_age_brackets(value)


class Organisation(models.Model):
    """An operator (association agréée IML): the unit of isolation of the platform."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("nom", max_length=200)
    slug = models.SlugField(
        "identifiant court",
        max_length=50,
        unique=True,
        help_text="Minuscules, chiffres et tirets ; utilisé par les commandes (--organisation).",
    )
    siret = models.CharField("SIRET", max_length=14, blank=True, validators=[validate_siret])
    departement = models.CharField(
        "département",
        max_length=3,
        validators=[
            RegexValidator(
                r"^(0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[1-6])$",
                "Numéro de département invalide (ex. 71, 2A, 974).",
            )
        ],
    )
    is_active = models.BooleanField("active", default=True)
    require_two_factor = models.BooleanField(
        "double authentification pour tous",
        default=False,
        help_text="Toujours exigée des chef·fes de service et administrateur·rices ; cochez "
        "pour l’exiger aussi des travailleurs sociaux et régisseurs.",
    )
    retention_identity_years = models.PositiveSmallIntegerField(
        "anonymisation des ménages (années après la sortie)",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="Identités et notes sont anonymisées ; les chiffres des rapports restent.",
    )
    retention_ledger_years = models.PositiveSmallIntegerField(
        "conservation des comptes (années)",
        default=10,
        validators=[MinValueValidator(5), MaxValueValidator(30)],
        help_text="Écritures comptables conservées puis pseudonymisées.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "organisation"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstitutionKind(models.TextChoices):
    DDETS = "ddets", "DDETS (département)"
    DREETS = "dreets", "DREETS (région)"
    NATIONAL = "national", "niveau national (DIHAL)"


def validate_departements(value: list[str]) -> None:
    unknown = [code for code in value if code not in territories.REGION_OF]
    if unknown:
        raise ValidationError(f"Département inconnu : {', '.join(unknown)}.")


class Institution(models.Model):
    """A funder of the State (DDETS, DREETS, DIHAL): created by the platform's staff, never
    declared by an operator. Its territory decides what its agents see (``funders.scope``):
    a DDETS its départements, a DREETS its région, the national level everything.

    Not an operator's data: no organisation, no row-level security; what it sees of the
    operators is only what they submitted to it (``funders.Submission``)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("niveau", max_length=10, choices=InstitutionKind.choices)
    name = models.CharField("nom", max_length=200, unique=True)
    slug = models.SlugField("identifiant court", max_length=50, unique=True)
    departements = ArrayField(
        models.CharField(max_length=3),
        verbose_name="départements (DDETS)",
        default=list,
        blank=True,
        validators=[validate_departements],
        help_text="Codes INSEE séparés par des virgules, ex. 80 ; pour une DDETS seulement.",
    )
    region = models.CharField(
        "région (code INSEE)",
        max_length=2,
        blank=True,
        help_text="Pour une DREETS : ex. 32 (Hauts-de-France). Déduite des départements "
        "pour une DDETS.",
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "financeur"
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=InstitutionKind.values), name="institution_kind_valid"
            ),
            # A DDETS has départements; a DREETS a région; the national level neither.
            models.CheckConstraint(
                condition=(
                    models.Q(kind="ddets") & ~models.Q(departements=[]) & ~models.Q(region="")
                )
                | (models.Q(kind="dreets") & models.Q(departements=[]) & ~models.Q(region=""))
                | (models.Q(kind="national") & models.Q(departements=[]) & models.Q(region="")),
                name="institution_territory_matches_kind",
                violation_error_message="Une DDETS a un ou plusieurs départements, une DREETS "
                "une région, le niveau national ni l’un ni l’autre.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        self.departements = sorted({code.strip().upper() for code in self.departements if code})
        if self.kind == InstitutionKind.DDETS:
            regions = {territories.region_of(code) for code in self.departements}
            if len(regions) > 1:
                raise ValidationError(
                    {"departements": "Les départements d’une DDETS sont d’une même région."}
                )
            self.region = regions.pop() if regions else ""
        elif self.kind == InstitutionKind.DREETS:
            self.departements = []
            if self.region not in territories.REGIONS:
                raise ValidationError({"region": "Code de région inconnu (ex. 32, 27, 84)."})
        else:
            self.departements, self.region = [], ""

    @property
    def territory_label(self) -> str:
        if self.kind == InstitutionKind.DDETS:
            return ", ".join(territories.departement_label(code) for code in self.departements)
        if self.kind == InstitutionKind.DREETS:
            return territories.REGIONS.get(self.region, self.region)
        return "France entière"


class FunderAgent(models.Model):
    """A person of a funder: invited by the platform's staff (``invite_funder_agent``), always
    asked for the second factor, and member of no operator: the membership services refuse an
    agent, and ``invite_funder_agent`` a member of a team."""

    user = models.OneToOneField(
        "iml.User", on_delete=models.CASCADE, related_name="funder_agent", verbose_name="personne"
    )
    institution = models.ForeignKey(
        Institution, on_delete=models.PROTECT, related_name="agents", verbose_name="financeur"
    )
    is_active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "agent d’un financeur"
        verbose_name_plural = "agents des financeurs"

    def __str__(self) -> str:
        return f"{self.user} — {self.institution}"


class DispositifCategory(models.TextChoices):
    CLASSIQUE = "classique", "IML classique"
    SPECIALISEE = "specialisee", "IML spécialisée"
    PSY = "psy", "IML handicap psychique"


class Zone(models.TextChoices):
    TENDUE = "tendue", "zone tendue"
    DETENDUE = "detendue", "zone détendue"


# A dispositif's code: letters, digits, dashes, dots or underscores, no space.
DISPOSITIF_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class Dispositif(OrganisationOwned):
    """A programme of the operator, funded and reported on separately (e.g. "IML BPI")."""

    code = models.CharField(
        "code",
        max_length=30,
        validators=[
            RegexValidator(
                DISPOSITIF_CODE,
                "Lettres, chiffres, tirets, points ou soulignés, sans espace.",
            )
        ],
    )
    name = models.CharField("nom", max_length=200)
    category = models.CharField("catégorie", max_length=20, choices=DispositifCategory.choices)
    zone = models.CharField("zone", max_length=20, choices=Zone.choices)
    funder = models.CharField("financeur", max_length=200, default="DDETS — BOP 177", blank=True)
    # The DDETS that funds it: where its annual report is submitted (``funders``).
    ddets = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dispositifs",
        limit_choices_to={"kind": InstitutionKind.DDETS, "is_active": True},
        verbose_name="DDETS financeuse",
        help_text="La DDETS à laquelle le rapport annuel est transmis.",
    )
    places = models.PositiveIntegerField("places", default=0)
    report_start_month = models.PositiveSmallIntegerField(
        "premier mois de la période du rapport",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Janvier pour l’année civile ; novembre pour une période du 1er novembre "
        "au 31 octobre.",
    )
    age_brackets = models.CharField(
        "tranches d’âge du rapport",
        max_length=200,
        default=DEFAULT_AGE_BRACKETS,
        validators=[validate_age_brackets],
        help_text="Séparées par « ; », la dernière ouverte : 0-17;18-24;25-39;40-59;60+",
    )
    is_active = models.BooleanField("actif", default=True)
    # What the daily alert job watches (defaults: shared/docs/domain.md and the 2018
    # instruction); each dispositif may tune them.
    alert_warning_days = models.PositiveSmallIntegerField(
        "alerte avant une échéance (jours)", default=30
    )
    alert_signature_days = models.PositiveSmallIntegerField(
        "contrat d’accompagnement à signer dans les (jours après l’entrée)", default=30
    )
    alert_debt_months = models.DecimalField(
        "dette signalée à partir de (mois de loyer résiduel)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    alert_unpaid_calls = models.PositiveSmallIntegerField(
        "ou appels de loyer consécutifs sans paiement", default=2
    )
    alert_instalment_grace_days = models.PositiveSmallIntegerField(
        "échéance de plan manquée après (jours)", default=10
    )
    alert_no_contact_weeks = models.PositiveSmallIntegerField(
        "sans contact depuis (semaines)", default=6
    )
    alert_paper_days = models.PositiveSmallIntegerField(
        "alerte avant l’expiration d’une pièce (jours)",
        default=30,
        validators=[MaxValueValidator(365)],
    )
    # The papers asked of every household (the « Pièces » panel lists those missing).
    required_papers = ArrayField(
        models.CharField(max_length=30, choices=PaperKind.choices),
        verbose_name="pièces demandées à chaque ménage",
        default=default_required_papers,
        blank=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "dispositif"
        ordering = ["code"]
        constraints = [
            public_id_unique("dispositif"),
            models.UniqueConstraint(
                fields=["organisation", "code"],
                name="dispositif_code_unique",
                violation_error_message="Un dispositif de l’organisation porte déjà ce code.",
            ),
            models.CheckConstraint(
                condition=models.Q(report_start_month__gte=1, report_start_month__lte=12),
                name="dispositif_report_start_month_range",
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=DispositifCategory.values),
                name="dispositif_category_valid",
            ),
            array_choice_constraint("required_papers", PaperKind),
            models.CheckConstraint(
                condition=models.Q(zone__in=Zone.values), name="dispositif_zone_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def parsed_age_brackets(self) -> list[tuple[int, int | None]]:
        return parse_age_brackets(self.age_brackets)


def normalize_email(email: str | None) -> str:
    """The one spelling of an e-mail address that the platform stores, looks up and locks on:
    no surrounding spaces, lower case. Login, lockout (django-axes), invitations, password
    resets and the database (``user_email_normalised``) all use it, so that two spellings of
    an address are one account and one counter of failed logins, never two."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        # Django's lower-cases the domain only: the whole address is one account here.
        return normalize_email(email)

    def _create_user(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("Une adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username: str) -> User:
        # Exact match on the normalised spelling: an address logs in only under the spelling
        # the lockout counts on (``iml.forms.lockout_username``), whatever was typed.
        return self.get(email=self.normalize_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in, by e-mail. Rights come from memberships, per organisation."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("adresse e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    is_active = models.BooleanField("actif", default=True)
    # Platform staff only (Django admin); operators' admins are memberships with role "admin".
    is_staff = models.BooleanField("équipe plateforme", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Part of the session hash: changing it ends every session of the user ("log out
    # everywhere"), as a password change does.
    session_token = models.UUIDField(default=uuid.uuid4, editable=False)
    alert_digest = models.BooleanField(
        "recevoir chaque matin le récapitulatif des nouvelles alertes", default=True
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = "utilisateur"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            # Stored normalised (``normalize_email``), whatever writes the row: exact lookups
            # and the unique key then see one spelling per address.
            models.CheckConstraint(
                condition=models.Q(email=Lower(Trim("email"))), name="user_email_normalised"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    def _get_session_auth_hash(self, secret=None) -> str:
        return salted_hmac(
            "iml.User.get_session_auth_hash",
            f"{self.password}:{self.session_token}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Role(models.TextChoices):
    SOCIAL_WORKER = "social_worker", "Travailleur·se social·e référent·e"
    REGISSEUR = "regisseur", "Régisseur·se social·e"
    HEAD = "head", "Chef·fe de service"
    ADMIN = "admin", "Administrateur·rice"


class MembershipQuerySet(OrganisationScopedQuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)

    def admins(self) -> MembershipQuerySet:
        return self.active().filter(role=Role.ADMIN)


class Membership(OrganisationOwned):
    """A user's role in one organisation. A user may belong to several organisations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    is_active = models.BooleanField("actif", default=True)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganisationScopedManager.from_queryset(MembershipQuerySet)()
    all_organisations = models.Manager.from_queryset(MembershipQuerySet)()

    class Meta(OrganisationOwned.Meta):
        verbose_name = "membre"
        constraints = [
            public_id_unique("membership"),
            models.UniqueConstraint(
                fields=["organisation", "user"],
                name="membership_unique",
                violation_error_message="Cette personne fait déjà partie de l’équipe.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class InvitationStatus(models.TextChoices):
    PENDING = "en_attente", "en attente"
    ACCEPTED = "acceptee", "acceptée"
    DECLINED = "refusee", "refusée"
    CANCELLED = "annulee", "annulée"


class InvitationQuerySet(OrganisationScopedQuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(status=InvitationStatus.PENDING)


class Invitation(OrganisationOwned):
    """An organisation asks a person who already has an account to join its team.

    The person joins only by accepting (``iml.services.invitation_accept``): until then the
    organisation has no membership, hence sees nothing of the account but the address it typed.
    The link e-mailed carries ``key``, drawn again at each sending (an older link stops
    working) and valid as long as a password-reset link (``PASSWORD_RESET_TIMEOUT``).
    """

    email = models.EmailField("adresse e-mail")
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    status = models.CharField(
        "état",
        max_length=20,
        choices=InvitationStatus.choices,
        default=InvitationStatus.PENDING,
    )
    sent_at = models.DateTimeField("envoyée le", default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganisationScopedManager.from_queryset(InvitationQuerySet)()
    all_organisations = models.Manager.from_queryset(InvitationQuerySet)()

    class Meta(OrganisationOwned.Meta):
        verbose_name = "invitation"
        ordering = ["-sent_at", "-pk"]
        constraints = [
            public_id_unique("invitation"),
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=models.Q(status="en_attente"),
                name="invitation_one_pending_per_email",
                violation_error_message="Une invitation est déjà en attente pour cette adresse.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=InvitationStatus.values),
                name="invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(email=Lower(Trim("email"))), name="invitation_email_normalised"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()}"

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)

    @property
    def expires_at(self) -> datetime.datetime:
        return self.sent_at + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


class AccessAction(models.TextChoices):
    VIEW = "view", "consultation"
    EXPORT = "export", "export"
    DOWNLOAD = "download", "téléchargement d’une pièce"


class AccessLog(OrganisationOwned):
    """Who opened which household or person page, or exported data, and when (CNIL).

    Kept one year, then purged by a nightly task. It stores identifiers, not the data seen.
    """

    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="personne"
    )
    action = models.CharField("action", max_length=10, choices=AccessAction.choices)
    object_type = models.CharField("objet", max_length=30)
    object_id = models.UUIDField("identifiant de l’objet")
    household_id = models.UUIDField("ménage concerné", null=True, blank=True)
    path = models.CharField("page", max_length=300)
    at = models.DateTimeField("date", default=timezone.now)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "accès"
        ordering = ["-at", "-pk"]
        constraints = [
            public_id_unique("accesslog"),
            models.CheckConstraint(
                condition=models.Q(action__in=AccessAction.values), name="accesslog_action_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "at"]),
            models.Index(fields=["organisation", "household_id", "at"]),
        ]


class FormSubmission(OrganisationOwned):
    """A form posted once: its key (a hidden field drawn when the form is shown) and where
    its result lives. A second post of the same form (a double click, back then send again)
    finds the row and leads to the first result without acting twice (``iml.submissions``).
    Kept two days."""

    key = models.UUIDField()
    result_url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "formulaire envoyé"
        indexes = [models.Index(fields=["created_at"], name="formsubmission_created")]
        constraints = [
            public_id_unique("formsubmission"),
            models.UniqueConstraint(
                fields=["organisation", "key"], name="formsubmission_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.key)
