from django.apps import AppConfig


class ImlConfig(AppConfig):
    name = "iml"
    verbose_name = "IML — socle"
