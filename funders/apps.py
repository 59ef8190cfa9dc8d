from django.apps import AppConfig
from django.db.models.signals import post_save


class FundersConfig(AppConfig):
    name = "funders"
    verbose_name = "Financeurs (DDETS, DREETS)"

    def ready(self) -> None:
        # The funder's side keeps its own copy of the dispositifs that name a DDETS (their
        # list and the reports not yet submitted): the core app's saves refresh it.
        from funders import registry
        from iml.models import Dispositif, Organisation

        post_save.connect(registry.dispositif_saved, sender=Dispositif,
                          dispatch_uid="funders.dispositif_saved")  # fmt: skip
        post_save.connect(registry.organisation_saved, sender=Organisation,
                          dispatch_uid="funders.organisation_saved")  # fmt: skip
