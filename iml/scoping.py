"""Row-level isolation between organisations, in the application.

The organisation of the running request or task lives in a context variable. Every model that
holds an operator's data inherits ``OrganisationOwned``: its default manager filters on that
organisation and raises when none is set (fail closed). ``all_organisations`` is the one,
explicitly named, way around it, for maintenance code and never for views.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models

if TYPE_CHECKING:
    from iml.models import Organisation

_current_organisation_id: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "current_organisation_id", default=None
)


class NoCurrentOrganisation(RuntimeError):
    """An organisation-scoped query ran outside of any organisation."""


def get_current_organisation_id() -> int:
    organisation_id = _current_organisation_id.get()
    if organisation_id is None:
        raise NoCurrentOrganisation(
            "No current organisation: use organisation_context() or the all_organisations "
            "manager (maintenance code only)."
        )
    return organisation_id


def current_organisation_id_or_none() -> int | None:
    return _current_organisation_id.get()


@contextlib.contextmanager
def organisation_context(organisation: Organisation | int | None) -> Iterator[None]:
    """Run a block (a request, a task, a command) as the given organisation."""
    organisation_id = getattr(organisation, "pk", organisation)
    token = _current_organisation_id.set(organisation_id)
    try:
        yield
    finally:
        _current_organisation_id.reset(token)


class OrganisationScopedQuerySet(models.QuerySet):
    pass


class OrganisationScopedManager(models.Manager.from_queryset(OrganisationScopedQuerySet)):
    """Default manager: only the current organisation's rows, or an error."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(organisation_id=get_current_organisation_id())


def public_id_unique(model: str) -> models.UniqueConstraint:
    """The public identifier is unique per organisation (every unique key includes it)."""
    return models.UniqueConstraint(
        fields=["organisation", "public_id"], name=f"{model}_public_id_unique"
    )


class OrganisationOwned(models.Model):
    """Base of every model holding an operator's data."""

    organisation = models.ForeignKey(
        "iml.Organisation", on_delete=models.PROTECT, related_name="+", editable=False
    )
    # Public identifier used in URLs: never the sequential id, which is guessable.
    public_id = models.UUIDField(default=uuid.uuid4, editable=False)

    objects = OrganisationScopedManager()
    all_organisations = models.Manager()  # noqa: DJ012 (a manager, not a field)

    class Meta:
        abstract = True
        # Related-object access and deletion cascades must not depend on a context variable.
        base_manager_name = "all_organisations"
        default_manager_name = "objects"

    def save(self, *args, **kwargs) -> None:
        if self.organisation_id is None:
            self.organisation_id = get_current_organisation_id()
        # The last line of defence for a service that saves without ``full_clean``: no
        # invisible character, no implausible date reaches the database.
        from iml.validators import field_problems

        if problems := field_problems(self):
            raise ValidationError({name: [problem] for name, problem in problems.items()})
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None) -> None:
        """Django's checks, then no control or invisible character in a text and no
        implausible date (``iml.validators``): every service validates through here."""
        from iml.validators import field_problems

        errors = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for name, problem in field_problems(self).items():
            if exclude and name in exclude:
                continue
            errors.setdefault(name, []).append(problem)
        if errors:
            raise ValidationError(errors)
