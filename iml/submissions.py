"""A form posted twice records once.

A form that creates something carries a hidden ``submission_key`` drawn when the form is
shown (``OnceForm``). ``run_once`` inserts the key, then acts, in one savepoint: a second
post with the same key finds the key taken and leads to the first result instead of acting
again. Two posts at the same instant: the second insert waits on the unique index until the
first commits, then finds it. A refused action (a validation error) rolls the key back with
it, so that the corrected form can be sent again.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import connection, transaction
from django.utils import timezone

from iml.models import FormSubmission, Organisation
from iml.rls import organisation_transaction
from iml.scoping import get_current_organisation_id

KEPT = datetime.timedelta(days=2)
REPLAYED = "Ce formulaire avait déjà été envoyé : rien n’a été enregistré une seconde fois."


def submission_key_field() -> forms.UUIDField:
    return forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)


class OnceMixin:
    """Mixed into any form (plain or model form) that creates something: a hidden key drawn
    when the form is shown, so that ``submit_form`` (or ``run_once``) records its submission
    once. A post without the key, which only a client other than the form sends, is not
    guarded."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["submission_key"] = submission_key_field()


class OnceForm(forms.Form):
    """The base of a plain form that creates something (see ``OnceMixin``)."""

    submission_key = submission_key_field()


@dataclass(frozen=True)
class Outcome:
    url: str
    replayed: bool
    result: Any = None  # what the action returned (None on a replay)


def run_once(
    *, key: uuid.UUID | None, action: Callable[[], Any], url_of: Callable[[Any], str]
) -> Outcome:
    """Run ``action`` unless ``key`` was already used; ``url_of(result)`` is kept with the
    key so that a replay leads where the first submission did."""
    if key is None:
        result = action()
        return Outcome(url=url_of(result), replayed=False, result=result)
    organisation_id = get_current_organisation_id()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {FormSubmission._meta.db_table}
                    (public_id, organisation_id, key, result_url, created_at)
                VALUES (gen_random_uuid(), %s, %s, '', now())
                ON CONFLICT (organisation_id, key) DO NOTHING
                RETURNING id
                """,
                [organisation_id, key],
            )
            row = cursor.fetchone()
        if row is None:
            first = FormSubmission.objects.get(key=key)
            return Outcome(url=first.result_url, replayed=True)
        result = action()
        url = url_of(result)
        FormSubmission.objects.filter(pk=row[0]).update(result_url=url[:500])
    return Outcome(url=url, replayed=False, result=result)


def purge_submissions(now: datetime.datetime | None = None) -> int:
    """Forget keys older than two days, organisation by organisation."""
    limit = (now or timezone.now()) - KEPT
    deleted = 0
    for organisation in Organisation.objects.order_by("pk"):
        with organisation_transaction(organisation):
            count, _ = FormSubmission.objects.filter(created_at__lt=limit).delete()
            deleted += count
    return deleted
