from celery import shared_task

from households.privacy import apply_retention


@shared_task
def apply_retention_nightly() -> int:
    """Anonymise what the retention rules say, organisation by organisation; uploads of the
    interchange workbook left behind go with it (also purged every quarter of an hour)."""
    from workbook.tasks import purge_uploads

    purge_uploads()
    return sum(result.households for result in apply_retention(wet_run=True))
