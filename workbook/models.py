"""An import of the interchange workbook in the browser: the uploaded file, its analysis
(preview and errors) and the import's progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from iml.codes import choice_constraint
from iml.scoping import OrganisationOwned, public_id_unique


class ImportStatus(models.TextChoices):
    EN_ATTENTE = "en_attente", "en attente d’analyse"
    ANALYSE = "analyse", "analyse en cours"
    PRET = "pret", "prêt à importer"
    ERREURS = "erreurs", "erreurs à corriger"
    EN_COURS = "en_cours", "import en cours"
    TERMINE = "termine", "importé"
    ECHEC = "echec", "échec de l’import"
    # Ready, never confirmed: its file was deleted after the retention delay.
    EXPIRE = "expire", "expiré sans import"


# The page polls while the job is in one of these.
RUNNING_STATUSES = (ImportStatus.EN_ATTENTE, ImportStatus.ANALYSE, ImportStatus.EN_COURS)


class ImportJob(OrganisationOwned):
    file_name = models.CharField("fichier", max_length=255)
    file_data = models.BinaryField("contenu du fichier")
    file_size = models.PositiveBigIntegerField("taille (octets)", default=0)
    status = models.CharField(
        "état", max_length=20, choices=ImportStatus.choices, default=ImportStatus.EN_ATTENTE
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    # [{"sheet": "menages", "label": "ménages", "create": 3, "update": 1, "unchanged": 0}, …]
    preview = models.JSONField("aperçu", default=list, blank=True)
    # ["menages:4: entry_date: date invalide …", …]
    errors = models.JSONField("erreurs", default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField("déposé le", auto_now_add=True)
    # When the import was confirmed: how long it has waited for, or run in, a worker.
    started_at = models.DateTimeField("lancé le", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta(OrganisationOwned.Meta):
        verbose_name = "import de classeur"
        verbose_name_plural = "imports de classeur"
        ordering = ["-created_at", "-pk"]
        constraints = [
            public_id_unique("importjob"),
            choice_constraint("status", ImportStatus),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="importjob_progress_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING_STATUSES

    @property
    def totals(self) -> dict[str, int]:
        return {
            action: sum(sheet.get(action, 0) for sheet in self.preview)
            for action in ("create", "update", "unchanged")
        }
