"""Form of the free spaces screen (``tenancy.views.spaces``)."""

from __future__ import annotations

from django import forms

from iml.forms import DateInput, ScopedChoicesMixin, unscoped_none
from iml.models import Dispositif


class FreeSpacesForm(ScopedChoicesMixin, forms.Form):
    at = forms.DateField(label="Date", required=False, widget=DateInput())
    dispositif = forms.ModelChoiceField(
        label="Dispositif",
        queryset=unscoped_none(Dispositif),
        required=False,
        empty_label="Tous les dispositifs",
        to_field_name="public_id",  # the form is a GET: public identifiers in the URL
    )
    scoped_querysets = {"dispositif": lambda form: Dispositif.objects.order_by("code")}
