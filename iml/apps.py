from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class ImlConfig(AppConfig):
    name = "iml"
    verbose_name = "IML — socle"

    def ready(self) -> None:
        from iml import rls

        connection_created.connect(rls.install, dispatch_uid="iml.rls.install")
        post_migrate.connect(rls.post_migrate, dispatch_uid="iml.rls.post_migrate")
