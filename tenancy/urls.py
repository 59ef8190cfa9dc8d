from tenancy.views import contracts, documents, inventories, owners

app_name = "tenancy"

urlpatterns = [
    *contracts.urlpatterns,
    *documents.urlpatterns,
    *inventories.urlpatterns,
    *owners.urlpatterns,
]
