"""``flush`` as the owner role: emptying every table is not the application role's right."""

from django.core.management.commands.flush import Command as FlushCommand

from iml import dataversion
from iml.rls import as_owner


class Command(FlushCommand):
    def handle(self, *args, **options):
        with as_owner(options["database"]):
            result = super().handle(*args, **options)
        dataversion.forget_all()  # cached aggregates describe the data flushed
        return result
