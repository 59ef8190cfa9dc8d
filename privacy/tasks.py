from celery import shared_task

from privacy.retention import apply_retention


@shared_task
def apply_retention_nightly() -> int:
    """Anonymise what the retention rules say, organisation by organisation."""
    return sum(result.households for result in apply_retention(wet_run=True))
