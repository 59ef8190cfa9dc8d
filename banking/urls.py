"""The bank's pages (régisseur and head): each part declares its own URLs."""

from banking.views import caf, reconcile, sepa, statements

app_name = "banking"

urlpatterns = [
    *statements.urlpatterns,
    *reconcile.urlpatterns,
    *caf.urlpatterns,
    *sepa.urlpatterns,
]
