from django.apps import AppConfig


class RehousingConfig(AppConfig):
    name = "rehousing"
    verbose_name = "Relogement"
    default_auto_field = "django.db.models.BigAutoField"
