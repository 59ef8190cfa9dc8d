from support.views import contracts, interactions, network

app_name = "support"

urlpatterns = [
    *interactions.urlpatterns,
    *contracts.urlpatterns,
    *network.urlpatterns,
]
