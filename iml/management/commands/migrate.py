"""``migrate`` as the owner role: the application role owns no table and cannot create one."""

from django.core.management.commands.migrate import Command as MigrateCommand

from iml.rls import as_owner


class Command(MigrateCommand):
    def handle(self, *args, **options):
        with as_owner(options["database"]):
            return super().handle(*args, **options)
