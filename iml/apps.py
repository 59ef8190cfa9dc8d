from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_delete, post_migrate, post_save


def retire_caches(sender, **kwargs) -> None:
    if sender.name == "iml":
        from iml import dataversion

        dataversion.forget_all()


class ImlConfig(AppConfig):
    name = "iml"
    verbose_name = "IML — socle"

    def ready(self) -> None:
        from iml import rls

        connection_created.connect(rls.install, dispatch_uid="iml.rls.install")
        post_migrate.connect(rls.post_migrate, dispatch_uid="iml.rls.post_migrate")
        # A new release may change what cached blocks of pages hold (``iml.fragments``).
        post_migrate.connect(retire_caches, dispatch_uid="iml.retire_caches")

        # The user and memberships every request reads first are cached (``iml.auth``,
        # ``iml.middleware``): their changes retire the cache.
        from iml import middleware
        from iml.models import FunderAgent, Institution, Membership, Organisation, User

        for signal in (post_save, post_delete):
            signal.connect(middleware.forget_member, sender=Membership,
                           dispatch_uid=f"iml.forget_member.{signal}")  # fmt: skip
            signal.connect(middleware.forget_user, sender=User,
                           dispatch_uid=f"iml.forget_user.{signal}")  # fmt: skip
            signal.connect(middleware.forget_agent, sender=FunderAgent,
                           dispatch_uid=f"iml.forget_agent.{signal}")  # fmt: skip
        # The session's second-factor device is cached too (``iml.otp``).
        from django_otp.plugins.otp_static.models import StaticDevice
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from iml import otp

        for device_model in (StaticDevice, TOTPDevice):
            for signal in (post_save, post_delete):
                uid = f"iml.forget_device.{device_model.__name__}.{signal}"
                signal.connect(otp.forget_device, sender=device_model, dispatch_uid=uid)
        post_save.connect(middleware.forget_members, sender=Organisation,
                          dispatch_uid="iml.forget_members")  # fmt: skip
        # An institution's agents hold a copy of it (deactivated: they lose access at once).
        post_save.connect(middleware.forget_members, sender=Institution,
                          dispatch_uid="iml.forget_agents")  # fmt: skip
