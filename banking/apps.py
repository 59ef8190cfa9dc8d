from django.apps import AppConfig


class BankingConfig(AppConfig):
    name = "banking"
    verbose_name = "Banque"
    default_auto_field = "django.db.models.BigAutoField"
