"""Papers: added from a phone, read (streamed after the organisation's scope and the role's
audience are checked, each download in the access log), removed by a head or their author."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from households.selectors import household_or_404
from housing.models import HousingUnit, Landlord
from iml.access_log import record_access
from iml.forms import submit_form
from iml.models import AccessAction
from iml.permissions import HOUSING_MANAGERS, MANAGERS, MONEY_VIEWERS, member_required
from papers import generated as generated_module
from papers import services
from papers.access import ADDERS, READERS, may_delete, may_read
from papers.forms import PaperForm, PaperTypeForm
from papers.models import Paper, PaperFile, PaperType
from papers.selectors import expiring_papers

FORM = "papers/paper_form.html"
PAGE_SIZE = 50
# Who files a document the software produced: those who read the contracts and the ledger.
FILERS = MONEY_VIEWERS
HIDDEN = "Cette pièce relève du dossier social : elle ne vous est pas accessible."


def _data(cleaned: dict) -> services.PaperData:
    return services.PaperData(
        kind=cleaned["kind"], issued_on=cleaned["issued_on"], valid_until=cleaned["valid_until"],
        custom_type=cleaned["custom_type"], energy_class=cleaned.get("energy_class", ""),
        note=cleaned.get("note", ""),
    )  # fmt: skip


@member_required(ADDERS)
def household_add(request: HttpRequest, household: str) -> HttpResponse:
    obj = household_or_404(household)
    form = PaperForm(request.POST or None, request.FILES or None, membership=request.membership,
                     household=obj)  # fmt: skip
    return submit_form(
        request,
        form,
        lambda data: services.paper_add(
            owner=services.Owner(
                household=obj,
                person=data.get("person"),
                contract=data.get("contract"),
                support_contract=data.get("support_contract"),
            ),
            data=_data(data),
            uploads=data["uploads"],
            by=request.user,
        ),
        lambda paper: f"Pièce « {paper.label} » ajoutée.",
        obj.get_absolute_url() + "#pieces",
        FORM,
        {
            "title": f"Ajouter une pièce — ménage {obj.heading}",
            "cancel_url": obj.get_absolute_url(),
            "household": obj,
        },
    )


@member_required(HOUSING_MANAGERS)
def unit_add(request: HttpRequest, unit: str) -> HttpResponse:
    obj = get_object_or_404(HousingUnit.objects.select_related("dispositif"), public_id=unit)
    form = PaperForm(request.POST or None, request.FILES or None, membership=request.membership,
                     unit=obj)  # fmt: skip
    url = reverse("housing:unit_detail", args=[obj.public_id])
    return submit_form(
        request,
        form,
        lambda data: services.paper_add(
            owner=services.Owner(unit=obj, lease=data.get("lease")),
            data=_data(data),
            uploads=data["uploads"],
            by=request.user,
        ),
        lambda paper: f"Pièce « {paper.label} » ajoutée.",
        url + "#pieces",
        FORM,
        {"title": f"Ajouter une pièce — logement {obj.reference}", "cancel_url": url},
    )


@member_required(HOUSING_MANAGERS)
def landlord_add(request: HttpRequest, landlord: str) -> HttpResponse:
    obj = get_object_or_404(Landlord, public_id=landlord)
    form = PaperForm(request.POST or None, request.FILES or None, membership=request.membership)
    url = reverse("housing:landlord_edit", args=[obj.public_id])
    return submit_form(
        request,
        form,
        lambda data: services.paper_add(
            owner=services.Owner(landlord=obj),
            data=_data(data),
            uploads=data["uploads"],
            by=request.user,
        ),
        lambda paper: f"Pièce « {paper.label} » ajoutée.",
        url + "#pieces",
        FORM,
        {"title": f"Ajouter une pièce — bailleur {obj.name}", "cancel_url": url},
    )


def _readable_file(request: HttpRequest, public_id: str) -> PaperFile:
    """The file, if its paper is the organisation's (404 otherwise, as for any id of another
    organisation) and its audience the member's (403)."""
    page = get_object_or_404(
        PaperFile.objects.select_related("paper", "paper__custom_type", "paper__household"),
        public_id=public_id,
    )
    if not may_read(request.membership, page.paper):
        raise PermissionDenied(HIDDEN)
    return page


def _stream(name: str, storage, content_type: str, filename: str) -> FileResponse:
    try:
        content = storage.open(name, "rb")
    except (FileNotFoundError, OSError) as error:
        # A database restored without its storage: the row is there, not the file.
        raise Http404("Le fichier de cette pièce est introuvable dans le stockage.") from error
    response = FileResponse(content, content_type=content_type, as_attachment=False,
                            filename=filename)  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # A PDF or an image shown by the browser, never run as a page of the site.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


@member_required(READERS)
def download(request: HttpRequest, page: str) -> FileResponse:
    obj = _readable_file(request, page)
    paper = obj.paper
    record_access(request, object_type="paper", object_id=paper.public_id,
                  household_id=paper.household.public_id if paper.household else None,
                  action=AccessAction.DOWNLOAD)  # fmt: skip
    # A name without personal data: the kind, the date and the page.
    extension = "pdf" if obj.content_type == "application/pdf" else "jpg"
    filename = f"{paper.kind}-{paper.issued_on:%Y-%m-%d}-p{obj.position}.{extension}"
    return _stream(obj.file.name, obj.file.storage, obj.content_type, filename)


@member_required(READERS)
def thumbnail(request: HttpRequest, page: str) -> FileResponse:
    obj = _readable_file(request, page)
    if not obj.thumbnail:
        raise PermissionDenied("Pas de vignette pour ce fichier.")
    return _stream(obj.thumbnail.name, obj.thumbnail.storage, "image/jpeg", "vignette.jpg")


@member_required(READERS)
def delete(request: HttpRequest, paper: str) -> HttpResponse:
    """A confirmation page, then the deletion. The lists link here for every reader (a page
    cached per role cannot tell the author): the permission is checked here."""
    obj = get_object_or_404(
        Paper.objects.select_related("custom_type", "household", "unit", "landlord"),
        public_id=paper,
    )
    if not may_read(request.membership, obj):
        raise PermissionDenied(HIDDEN)
    if not may_delete(request.membership, obj):
        raise PermissionDenied(
            "Seuls la ou le responsable et la personne qui a ajouté la pièce peuvent la supprimer."
        )
    if obj.household is not None:
        back = obj.household.get_absolute_url()
    elif obj.unit is not None:
        back = reverse("housing:unit_detail", args=[obj.unit.public_id])
    else:
        back = reverse("housing:landlord_edit", args=[obj.landlord.public_id])
    if request.method != "POST":
        return render(request, "papers/paper_delete.html", {"paper": obj, "back": back})
    services.paper_delete(paper=obj, by=request.user)
    messages.success(request, f"Pièce « {obj.label} » supprimée.")
    return redirect(back + "#pieces")


@member_required(READERS)
def expiring(request: HttpRequest) -> HttpResponse:
    rows = expiring_papers(request.membership, timezone.localdate())
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "papers/expiring.html", {"rows": page.object_list, "page": page})


def _file(request: HttpRequest, load, public_id: str) -> HttpResponse:
    generated = load(public_id)
    paper, filed = generated_module.file_generated(generated, request.user)
    if filed:
        messages.success(request, f"{generated.name} classé dans les pièces du ménage.")
    else:
        messages.info(request, f"{generated.name} était déjà classé dans les pièces du ménage.")
    return redirect(paper.household.get_absolute_url() + "#pieces")


@require_POST
@member_required(FILERS)
def file_contract(request: HttpRequest, contract: str) -> HttpResponse:
    return _file(request, generated_module.contract, contract)


@require_POST
@member_required(FILERS)
def file_amendment(request: HttpRequest, amendment: str) -> HttpResponse:
    return _file(request, generated_module.amendment, amendment)


@require_POST
@member_required(FILERS)
def file_receipt(request: HttpRequest, entry: str) -> HttpResponse:
    return _file(request, generated_module.receipt, entry)


@require_POST
@member_required(FILERS)
def file_inventory(request: HttpRequest, inventory: str) -> HttpResponse:
    return _file(request, generated_module.inventory, inventory)


@member_required(MANAGERS)
def types(request: HttpRequest) -> HttpResponse:
    """The kinds of paper the organisation adds to the usual ones (heads and administrators)."""
    form = PaperTypeForm(request.POST or None)
    listed = PaperType.objects.annotate(used=Count("papers")).order_by("label")
    return submit_form(
        request, form, lambda data: services.paper_type_save(form.instance),
        lambda saved: f"Type « {saved.label} » ajouté.", reverse("papers:types"),
        "papers/types.html", {"types": listed},
    )  # fmt: skip


@member_required(MANAGERS)
def type_edit(request: HttpRequest, paper_type: str) -> HttpResponse:
    obj = get_object_or_404(PaperType, public_id=paper_type)
    form = PaperTypeForm(request.POST or None, instance=obj)
    return submit_form(
        request, form, lambda data: services.paper_type_save(form.instance),
        lambda saved: f"Type « {saved.label} » enregistré.", reverse("papers:types"),
        "iml/form_page.html",
        {"title": f"Type de pièce « {obj.label} »", "cancel_url": reverse("papers:types")},
    )  # fmt: skip
