"""URLs of the funder's side (``/financeur/``, its agents) and of the operator's submission
(``/transmission/``, heads of service)."""

from django.urls import path

from funders.views import funder, operator

app_name = "funders"

urlpatterns = [
    path("financeur/", funder.home, name="home"),
    path("financeur/rapports/<uuid:submission>/", funder.submission_detail,
         name="submission_detail"),
    path("financeur/rapports/<uuid:submission>/rapport.pdf", funder.submission_pdf,
         name="submission_pdf"),
    path("financeur/rapports/<uuid:submission>/rapport.xlsx", funder.submission_xlsx,
         name="submission_xlsx"),
    path("financeur/rapports/<uuid:submission>/avis/", funder.submission_review,
         name="submission_review"),
    path("financeur/revue-regionale/", funder.regional, name="regional"),
    path("financeur/journal/", funder.access_log, name="access_log"),
    path("transmission/", operator.submissions_page, name="operator_submissions"),
    path("transmission/versions/<uuid:version>/", operator.submit_version, name="submit_version"),
    path("transmission/reperes/", operator.benchmark, name="benchmark"),
]  # fmt: skip
