"""The annotation screen: one statement in its paragraph and one form for *my* annotation."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from .. import annotating, vocabulary
from ..conf import app_settings
from ..models import Annotation, Origin, ReviewStatus, Speaker, Stance, Statement, Target
from .catalog import ANYWHERE, ranked
from .common import WORKBENCH_MEDIA, is_reviewer, layout
from .forms import (
    ProposeSpeakerForm,
    ProposeTargetForm,
    VocabularySelect,
    proposed_fields,
    reading_forms,
    reading_record,
)

ANNOTATE_PERMISSION = "readout_annotations.add_annotation"


def statement_url(name: str, statement_id: int, *args, site_name: str = "admin") -> str:
    return reverse(f"{site_name}:readout_annotations_statement_{name}", args=(statement_id, *args))


def can_annotate(user) -> bool:
    return user.has_perm(ANNOTATE_PERMISSION)


def own_annotation(statement: Statement, user) -> Annotation | None:
    """``user``'s reading of ``statement``, with what the write service and the record need."""
    mine = (
        Annotation.objects.filter(statement=statement, annotator=user)
        .select_related("speaker", "annotator")
        .prefetch_related(Prefetch("stances", queryset=Stance.objects.select_related("target")))
        .first()
    )
    if mine is not None:
        mine.statement = statement
    return mine


def machine_proposal(statement: Statement) -> Annotation | None:
    """The statement's latest machine proposal, with its speaker and stances (and their notes)."""
    return (
        Annotation.objects.filter(statement=statement, origin=Origin.MACHINE)
        .select_related("speaker")
        .prefetch_related(Prefetch("stances", queryset=Stance.objects.select_related("target")))
        .order_by("-pk")
        .first()
    )


def previous_speaker(statement: Statement, user) -> Speaker | None:
    """The speaker of the statement before ``statement`` in its paragraph, for "same speaker as
    the previous statement": from my own annotation of it, else from its machine proposal
    (never another annotator's). One query."""
    candidates = (
        Annotation.objects.filter(
            statement__readout_id=statement.readout_id,
            statement__number=statement.number - 1,
            statement__paragraph=statement.paragraph,
        )
        .filter(Q(annotator=user) | Q(origin=Origin.MACHINE))
        .select_related("speaker")
    )
    ranked_candidates = sorted(candidates, key=lambda a: (a.annotator_id != user.pk, -a.pk))
    return ranked_candidates[0].speaker if ranked_candidates else None


def next_waiting(user, *, after: Statement | None = None, readout_id=None) -> Statement | None:
    """The next statement ``user`` has not annotated: after ``after`` in its readout (wrapping
    around), or the first of ``readout_id``, or the first anywhere."""
    waiting = Statement.objects.unannotated_by(user)
    if after is not None:
        waiting = waiting.filter(readout_id=after.readout_id).exclude(pk=after.pk).order_by("number")
        return waiting.filter(number__gt=after.number).first() or waiting.first()
    if readout_id is not None:
        waiting = waiting.filter(readout_id=readout_id)
    return waiting.first()


def save_reading(
    statement: Statement,
    user,
    record: dict,
    *,
    annotation: Annotation | None = None,
    version: int | None = None,
) -> Annotation:
    """Write ``user``'s own reading of ``statement`` (created when missing) through ``annotating.save``.

    ``record`` comes from ``forms.reading_record``. Raises ``ValidationError`` keyed by form field
    (``None`` for what no field shows) when the reading is refused, or when the annotation changed
    since ``version`` was read.
    """
    try:
        return annotating.save(user, record, annotation=annotation, version=version).annotation
    except annotating.Stale as error:
        raise ValidationError(
            _("Your annotation changed since this page was opened (in another tab?). Reload the page.")
        ) from error
    except annotating.NotEditable as error:
        raise ValidationError(str(error)) from error


def add_reading_errors(form, stances, error: ValidationError) -> None:
    """Show the write service's errors on the form's fields (stance errors above the stances)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, messages_ in error.message_dict.items():
        if field == "stances":
            stances._non_form_errors = stances.error_class(
                [*stances.non_form_errors(), *messages_], error_class="nonform", renderer=stances.renderer
            )
        else:
            form.add_error(field if field in form.fields else None, messages_)


def paragraph_of(statement: Statement):
    """The statement's paragraph, as pieces, in one query."""
    siblings = statement.readout.statements.filter(paragraph=statement.paragraph).order_by("start")
    return layout(statement.readout.text, siblings)


def neighbours(statement: Statement, user) -> dict:
    """Previous and next statement, and how many of the readout's statements I have annotated."""
    readout_statements = Statement.objects.filter(readout_id=statement.readout_id)
    numbers = readout_statements.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(Exists(Annotation.objects.filter(statement=OuterRef("pk"), annotator=user)))),
    )
    around = dict(
        readout_statements.filter(number__in=(statement.number - 1, statement.number + 1)).values_list("number", "pk")
    )
    return {
        "total": numbers["total"],
        "done": numbers["done"],
        "previous_id": around.get(statement.number - 1),
        "next_id": around.get(statement.number + 1),
    }


def annotate_view(model_admin, request, object_id):
    """GET: the statement and my annotation's form. POST: save it ("Save" or "Save and tag next")."""
    statement = get_object_or_404(Statement.objects.select_related("readout"), pk=object_id)
    if not model_admin.has_view_permission(request, statement) or not can_annotate(request.user):
        raise PermissionDenied
    site = model_admin.admin_site
    mine = own_annotation(statement, request.user)
    proposal = machine_proposal(statement) if mine is None else None
    locked = mine is not None and mine.gold
    if request.method == "POST" and not locked:
        form, stances = reading_forms(request.POST, admin_site=site, source=mine, user=request.user)
        if form.is_valid() and stances.is_valid():
            try:
                save_reading(
                    statement,
                    request.user,
                    reading_record(statement, form, stances),
                    annotation=mine,
                    version=form.cleaned_data["version"],
                )
            except ValidationError as error:
                add_reading_errors(form, stances, error)
            else:
                messages.success(
                    request, _("Saved your annotation of statement %(number)s.") % {"number": statement.number}
                )
                if "_next" in request.POST:
                    return redirect_to_next(request, statement, site.name)
                return HttpResponseRedirect(statement_url("annotate", statement.pk, site_name=site.name))
    else:
        form, stances = reading_forms(None, admin_site=site, source=mine or proposal, user=request.user)
    context = {
        **site.each_context(request),
        "opts": model_admin.opts,
        "title": _("Annotate statement %(number)s") % {"number": statement.number},
        "subtitle": statement.readout.title,
        "statement": statement,
        "paragraphs": paragraph_of(statement),
        "mine": mine,
        "proposal": proposal if not form.is_bound else None,  # once posted, the fields are mine
        "proposed": proposed_fields(form, stances) if proposal and not form.is_bound else set(),
        "previous_speaker": previous_speaker(statement, request.user),
        "guideline_url": app_settings.GUIDELINE_URL,
        "propose_target_form": propose_target_form(site, request.user),
        "locked": locked,
        "form": form,
        "stances": stances,
        "media": form.media + stances.media + WORKBENCH_MEDIA,
        "is_reviewer": is_reviewer(request.user),
        "position": neighbours(statement, request.user),
        "submit_next": True,
    }
    return TemplateResponse(request, "admin/readout_annotations/statement/annotate.html", context)


def propose_target_form(site, user) -> ProposeTargetForm:
    """The dialog's form for proposing a target; its parent is picked like any target."""
    form = ProposeTargetForm(user=user, auto_id="id_propose_%s")
    widget = VocabularySelect(Target._meta.get_field("parent"), site, "target", attrs={"data-in-dialog": "1"})
    widget.choices, widget.labels = form.fields["parent"].choices, {}
    form.fields["parent"].widget = widget
    return form


def redirect_to_next(request, statement: Statement, site_name: str) -> HttpResponseRedirect:
    following = next_waiting(request.user, after=statement)
    if following is not None:
        return HttpResponseRedirect(statement_url("annotate", following.pk, site_name=site_name))
    messages.info(request, _("You have annotated every statement of this readout."))
    changelist = reverse(f"{site_name}:readout_annotations_statement_changelist")
    query = urlencode({"readout__id__exact": statement.readout_id, "status": "mine"})
    return HttpResponseRedirect(f"{changelist}?{query}")


def next_view(model_admin, request):
    """Open the first statement waiting for my annotation (in ``?readout__id__exact=`` when given)."""
    if not model_admin.has_view_permission(request) or not can_annotate(request.user):
        raise PermissionDenied
    readout_id = request.GET.get("readout__id__exact") or None
    if readout_id is not None and not str(readout_id).isdigit():
        readout_id = None
    following = next_waiting(request.user, readout_id=readout_id)
    site_name = model_admin.admin_site.name
    if following is None:
        messages.info(request, _("Nothing is waiting for your annotation here."))
        return HttpResponseRedirect(reverse(f"{site_name}:readout_annotations_statement_changelist"))
    return HttpResponseRedirect(statement_url("annotate", following.pk, site_name=site_name))


# --------------------------------------------------------------------------- the vocabulary

VOCABULARIES = {"speaker": Speaker, "target": Target}
LOOKUP_PAGE = 20


def _vocabulary_model(name: str):
    if name not in VOCABULARIES:
        raise Http404
    return VOCABULARIES[name]


def lookup_view(model_admin, request, name: str):
    """Select2's JSON for the speaker or target picker: ``?term=&page=``, ranked (``catalog.ranked``)
    among what this user may use. Each result: ``id``, ``text`` (the name), ``slug``, ``kind``,
    ``proposed``, ``rank`` (``catalog.EXACT`` 0 to ``ANYWHERE`` 3) and, for targets, ``parent``
    and ``description`` (at most 140 characters).
    Two queries whatever the size of the vocabulary."""
    model = _vocabulary_model(name)
    if not can_annotate(request.user):
        raise PermissionDenied
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
    term = request.GET.get("term", "")
    fields = ["pk", "name", "slug", "kind", "status", *(["rank"] if term.strip() else [])]
    if model is Target:
        fields += ["parent__name", "description"]
    start = (page - 1) * LOOKUP_PAGE
    rows = list(ranked(model.objects.usable_by(request.user), term).values(*fields)[start : start + LOOKUP_PAGE + 1])
    kinds = dict(model._meta.get_field("kind").choices)
    results = [
        {
            "id": row["pk"],
            "text": row["name"],
            "slug": row["slug"],
            "kind": str(kinds.get(row["kind"], row["kind"])),
            "proposed": row["status"] == ReviewStatus.PROPOSED,
            "rank": row.get("rank", ANYWHERE),
            **(
                {"parent": row["parent__name"] or "", "description": Truncator(row["description"]).chars(140)}
                if model is Target
                else {}
            ),
        }
        for row in rows[:LOOKUP_PAGE]
    ]
    return JsonResponse({"results": results, "pagination": {"more": len(rows) > LOOKUP_PAGE}})


def propose_view(model_admin, request, name: str):
    """Propose a speaker or target from the annotation form (``vocabulary.propose_*``).

    POST ``name``, ``kind`` (and ``parent``, a target's id). 200 with the row as in
    :func:`lookup_view` plus ``created``; 400 ``{"errors": {field: [message, ...]}}``, nothing
    written; 403 for a user who may not annotate.
    """
    model = _vocabulary_model(name)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not can_annotate(request.user):
        raise PermissionDenied
    form_class = ProposeTargetForm if model is Target else ProposeSpeakerForm
    form = form_class(request.POST, **({"user": request.user} if model is Target else {}))
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    data = form.cleaned_data
    try:
        if model is Target:
            row, created = vocabulary.propose_target(request.user, data["name"], data["kind"], data["parent"])
        else:
            row, created = vocabulary.propose_speaker(request.user, data["name"], data["kind"])
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"name": error.messages}
        return JsonResponse({"errors": {f: [{"message": m} for m in ms] for f, ms in errors.items()}}, status=400)
    return JsonResponse(
        {
            "id": row.pk,
            "text": row.name,
            "slug": row.slug,
            "kind": str(row.get_kind_display()),
            "proposed": row.status == ReviewStatus.PROPOSED,
            "created": created,
        }
    )
