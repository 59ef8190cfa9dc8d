"""Staff named by e-mail in imported history.

The interchange workbook names the people of an interaction (``staff``) and a support
contract's referent by e-mail. An e-mail that is no active member of the organisation (a
colleague who has left, a team not yet invited, the copy of another organisation's export) is
kept as written on the row (``Interaction.staff_emails``, ``SupportContract.referent_email``):
it creates no account and gives no access, and pages show it "hors équipe". When that person
joins the team, ``link_history`` makes their history theirs.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from iml.models import Membership, User, normalize_email
from support.models import Interaction, InteractionStaff, SupportContract


def link_history(*, membership: Membership) -> tuple[int, int]:
    """Give a person who joins (or rejoins) the team the interactions and support contracts
    that name their e-mail: (contracts, interactions) linked. Runs as the organisation."""
    user: User = membership.user
    email = normalize_email(user.email)
    contracts = SupportContract.objects.filter(
        referent__isnull=True, referent_email__iexact=email
    ).update(referent=user, referent_email="")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Interaction._meta.db_table}
            SET staff_emails = array_remove(staff_emails, %s)
            WHERE organisation_id = %s AND %s = ANY(staff_emails)
            RETURNING id
            """,
            [email, membership.organisation_id, email],
        )
        interactions = [row[0] for row in cursor.fetchall()]
    InteractionStaff.objects.bulk_create(
        [
            InteractionStaff(
                organisation_id=membership.organisation_id, interaction_id=pk, user=user
            )
            for pk in interactions
        ],
        ignore_conflicts=True,
    )
    return contracts, len(interactions)


def with_membership(users: QuerySet[User]) -> QuerySet[User]:
    """Users annotated with ``is_member``: an active member of the current organisation."""
    return users.annotate(is_member=Exists(Membership.objects.active().filter(user=OuterRef("pk"))))


def staff_labels(interaction: Interaction) -> list[str]:
    """The people of an interaction as the timeline shows them (``staff`` prefetched through
    ``with_membership``)."""
    names = [
        (user.get_full_name() or user.email)
        + ("" if getattr(user, "is_member", True) else " (ancien·ne membre)")
        for user in interaction.staff.all()
    ]
    return names + [f"{email} (hors équipe)" for email in interaction.staff_emails]
