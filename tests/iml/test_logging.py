"""Logs and error reports carry no personal data."""

import io
import logging

import pytest
from django.urls import path, reverse

from iml.logging import RedactPersonalData, redact
from iml.permissions import member_required


def test_redaction_of_what_third_party_messages_may_contain():
    text = (
        "IntegrityError: duplicate key\nDETAIL:  Key (organisation_id, reference)=(3, AHMADI-"
        "Nasir) already exists. Contact nasir.ahmadi@exemple.fr or 06 12 34 56 78 "
        "GET /menages/?q=Ahmadi"
    )
    redacted = redact(text)
    for secret in ("AHMADI-Nasir", "nasir.ahmadi@exemple.fr", "06 12 34 56 78", "q=Ahmadi"):
        assert secret not in redacted
    assert "duplicate key" in redacted and "/menages/" in redacted


@member_required()
def failing_view(request):
    raise ValueError("Impossible pour Nasir Ahmadi <nasir.ahmadi@exemple.fr>, tél. 0612345678")


urlpatterns = [path("echec/", failing_view, name="failing")]


@pytest.mark.django_db
@pytest.mark.urls("tests.iml.test_logging")
def test_a_server_error_is_logged_without_personal_data(client, social_worker_a):
    """The root logger's handler, as configured by the settings, writes the error."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    configured = next(h for h in logging.getLogger().handlers if h.filters)
    assert any(isinstance(f, RedactPersonalData) for f in configured.filters)
    for log_filter in configured.filters:
        handler.addFilter(log_filter)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client.raise_request_exception = False
        client.force_login(social_worker_a.user)
        response = client.get(reverse("failing") + "?q=Ahmadi")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    output = stream.getvalue()
    assert "Internal Server Error: /echec/" in output and "ValueError" in output
    for secret in ("nasir.ahmadi@exemple.fr", "0612345678", "q=Ahmadi"):
        assert secret not in output
