"""Statements: the annotator's work list, the annotation screen and the reviewer's screens."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .. import annotating
from ..models import Annotation, Speaker, Stance, Statement
from ..records import RecordResolver
from . import annotate, boundaries, review
from .common import WORKBENCH_MEDIA, ModelAdmin, is_reviewer, speaker_colour
from .filters import (
    READOUT_PARAMETER,
    ParagraphFilter,
    ReadingFilter,
    SpeakerFilter,
    StanceFilter,
    StatusFilter,
    TargetFilter,
)
from .forms import BulkTagForm

STANCES = Prefetch("stances", queryset=Stance.objects.select_related("target"))


def reading_html(annotation: Annotation | None):
    """A compact reading: the speaker's colour chip, attribution and stance badges."""
    if annotation is None:
        return format_html('<span class="ra-none">{}</span>', "—")
    background, border = speaker_colour(annotation.speaker_id)
    speaker = annotation.speaker.name if annotation.speaker else _("(no speaker)")
    badges = format_html_join(
        "",
        '<span class="ra-badge ra-stance-{}" title="{}">{}</span>',
        ((s.stance, s.get_stance_display(), s.target.name) for s in annotation.stances.all()),
    )
    return format_html(
        '<span class="ra-chip" style="--ra-bg:{};--ra-line:{}">{}</span> <span class="ra-quiet">{}</span> {}',
        background,
        border,
        speaker,
        annotation.attribution,
        badges,
    )


def bulk_tag(
    statements, user, *, speaker=None, set_speaker: bool = False, attribution: str = ""
) -> tuple[int, int, dict[int, list[str]]]:
    """Set the speaker and/or attribution of ``user``'s own annotations of ``statements``.

    Each statement is one write through ``annotating`` (its own short transaction). Creates the
    annotation where ``user`` has none (that needs ``attribution``); leaves gold annotations
    alone. Returns (changed, skipped, refused: the statement number -> why, for readings the
    guideline refuses).
    """
    mine = {
        a.statement_id: a
        for a in Annotation.objects.filter(annotator=user, statement__in=statements)
        .select_related("speaker", "annotator")
        .prefetch_related(STANCES)
    }
    changed = skipped = 0
    refused: dict[int, list[str]] = {}
    resolver = RecordResolver(user=user)  # never another annotator's proposed name
    for statement in statements.select_related("readout").order_by("readout_id", "number"):
        annotation = mine.get(statement.pk)
        if (annotation is not None and annotation.gold) or (annotation is None and not attribution):
            skipped += 1
            continue
        record = {"readout": statement.readout.slug, "statement": statement.number}
        if set_speaker:
            record["speaker"] = speaker.slug if speaker else None
        if attribution:
            record["attribution"] = attribution
        if annotation is not None:
            annotation.statement = statement
        try:
            annotating.save(user, record, annotation=annotation, resolver=resolver)
        except ValidationError as error:
            refused[statement.number] = error.messages
        except (annotating.Stale, annotating.NotEditable):
            skipped += 1
        else:
            changed += 1
    return changed, skipped, refused


@admin.register(Statement)
class StatementAdmin(ModelAdmin):
    list_display = ("number_column", "readout_column", "paragraph_column", "text_column", "my_reading")
    list_display_links = None
    list_filter = (
        StatusFilter,
        "readout",
        ("paragraph", ParagraphFilter),
        ReadingFilter,
        SpeakerFilter,
        TargetFilter,
        StanceFilter,
        "readout__published_on",
    )
    list_select_related = ("readout",)
    search_fields = ("text",)
    list_per_page = 100
    actions = ("set_speaker", "set_attribution")
    fields = ("readout", "number", "paragraph", "start", "end", "text")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("readout")
        mine = Annotation.objects.filter(annotator=request.user).select_related("speaker").prefetch_related(STANCES)
        queryset = queryset.prefetch_related(Prefetch("annotations", queryset=mine, to_attr="my_readings"))
        if is_reviewer(request.user):
            humans = (
                Annotation.objects.human()
                .filter(statement=OuterRef("pk"))
                .order_by()
                .values("statement")
                .annotate(n=Count("pk"))
                .values("n")
            )
            queryset = (
                queryset.select_related("gold_annotation__speaker")
                .prefetch_related(
                    Prefetch("gold_annotation__stances", queryset=Stance.objects.select_related("target"))
                )
                .annotate(annotation_count=Coalesce(Subquery(humans, output_field=IntegerField()), Value(0)))
            )
        return queryset

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.GET.get(READOUT_PARAMETER):
            columns.remove("readout_column")  # one readout: the column would repeat its slug
        if is_reviewer(request.user):
            columns += ["annotation_count_column", "gold_column"]
        return columns

    def get_readonly_fields(self, request, obj=None):
        return ("readout",) if obj is not None else ()

    def has_annotate_permission(self, request) -> bool:
        return annotate.can_annotate(request.user)

    # ----------------------------------------------------------------- columns

    def _url(self, page: str, obj: Statement) -> str:
        return annotate.statement_url(page, obj.pk, site_name=self.admin_site.name)

    @admin.display(description=gettext_lazy("no."), ordering="number")
    def number_column(self, obj: Statement):
        return format_html('<a href="{}">#{}</a>', self._url("annotate", obj), obj.number)

    @admin.display(description=gettext_lazy("readout"), ordering="readout__published_at")
    def readout_column(self, obj: Statement):
        return format_html('<span title="{}">{}</span>', obj.readout.title, obj.readout.slug)

    @admin.display(description=gettext_lazy("par."), ordering="paragraph")
    def paragraph_column(self, obj: Statement):
        return obj.paragraph

    @admin.display(description=gettext_lazy("text"))
    def text_column(self, obj: Statement):
        return format_html(
            '<a class="ra-text-link" href="{}">{}</a>', self._url("annotate", obj), Truncator(obj.text).chars(180)
        )

    @admin.display(description=gettext_lazy("my annotation"))
    def my_reading(self, obj: Statement):
        readings = getattr(obj, "my_readings", [])
        return reading_html(readings[0] if readings else None)

    @admin.display(description=gettext_lazy("annotations"), ordering="annotation_count")
    def annotation_count_column(self, obj: Statement):
        return format_html(
            '<a href="{}" title="{}">{} ⇆</a>', self._url("compare", obj), _("compare"), obj.annotation_count
        )

    @admin.display(description=gettext_lazy("gold"))
    def gold_column(self, obj: Statement):
        return reading_html(getattr(obj, "gold_annotation", None))

    # ----------------------------------------------------------------- pages

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("next/", wrap(self.next_view), name=f"{name}_next"),
            path("lookup/<str:vocabulary>/", wrap(self.lookup_view), name=f"{name}_lookup"),
            path("propose/<str:vocabulary>/", wrap(self.propose_view), name=f"{name}_propose"),
            path("<int:object_id>/annotate/", wrap(self.annotate_view), name=f"{name}_annotate"),
            path("<int:object_id>/compare/", wrap(self.compare_view), name=f"{name}_compare"),
            path(
                "<int:object_id>/accept/<int:annotation_id>/",
                wrap(self.accept_view),
                name=f"{name}_accept",
            ),
            path("<int:object_id>/gold/", wrap(self.gold_view), name=f"{name}_gold"),
            path("<int:object_id>/split/", wrap(self.split_view), name=f"{name}_split"),
            path("<int:object_id>/merge-next/", wrap(self.merge_view), name=f"{name}_merge"),
            *super().get_urls(),
        ]

    def split_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return boundaries.split_view(self, request, object_id)

    def merge_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return boundaries.merge_view(self, request, object_id)

    def next_view(self, request):
        request.current_app = self.admin_site.name
        return annotate.next_view(self, request)

    def lookup_view(self, request, vocabulary):
        return annotate.lookup_view(self, request, vocabulary)

    def propose_view(self, request, vocabulary):
        return annotate.propose_view(self, request, vocabulary)

    def annotate_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return annotate.annotate_view(self, request, object_id)

    def compare_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return review.compare_view(self, request, object_id)

    def accept_view(self, request, object_id, annotation_id):
        request.current_app = self.admin_site.name
        return review.accept_view(self, request, object_id, annotation_id)

    def gold_view(self, request, object_id):
        request.current_app = self.admin_site.name
        return review.gold_view(self, request, object_id)

    def changelist_view(self, request, extra_context=None):
        next_url = reverse(f"{self.admin_site.name}:readout_annotations_statement_next")
        readout = request.GET.get(READOUT_PARAMETER)
        if readout:
            next_url += "?" + urlencode({READOUT_PARAMETER: readout})
        extra_context = {
            "title": _("Statements"),
            **(extra_context or {}),
            "next_url": next_url if annotate.can_annotate(request.user) else None,
            "stance_map_url": reverse(f"{self.admin_site.name}:readout_annotations_readout_stance_map"),
        }
        return super().changelist_view(request, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        if object_id is not None and str(object_id).isdigit():
            extra_context["annotate_url"] = annotate.statement_url(
                "annotate", object_id, site_name=self.admin_site.name
            )
            if is_reviewer(request.user):
                extra_context["compare_url"] = annotate.statement_url(
                    "compare", object_id, site_name=self.admin_site.name
                )
                extra_context["split_url"] = annotate.statement_url("split", object_id, site_name=self.admin_site.name)
                extra_context["merge_url"] = annotate.statement_url("merge", object_id, site_name=self.admin_site.name)
                extra_context["boundary_statement"] = Statement.objects.filter(pk=object_id).first()
        return super().changeform_view(request, object_id, form_url, extra_context)

    # ----------------------------------------------------------------- bulk actions

    @admin.action(description=gettext_lazy("Set the speaker (as my annotations)"), permissions=("annotate",))
    def set_speaker(self, request, queryset):
        return self._bulk_tag(request, queryset, "speaker", "set_speaker")

    @admin.action(description=gettext_lazy("Set the attribution (as my annotations)"), permissions=("annotate",))
    def set_attribution(self, request, queryset):
        return self._bulk_tag(request, queryset, "attribution", "set_attribution")

    def _bulk_tag(self, request, queryset, field: str, action: str):
        form = BulkTagForm(request.POST if "apply" in request.POST else None, admin_site=self.admin_site, require=field)
        if "speaker" in form.fields:  # never another annotator's proposed name
            form.fields["speaker"].queryset = Speaker.objects.usable_by(request.user)
        untagged = queryset.unannotated_by(request.user).count()
        if form.is_bound and form.is_valid():
            attribution = form.cleaned_data["attribution"]
            if untagged and not attribution:
                form.add_error(
                    "attribution",
                    ngettext(
                        "%(count)d selected statement has no annotation of yours yet: choose its attribution.",
                        "%(count)d selected statements have no annotation of yours yet: choose their attribution.",
                        untagged,
                    )
                    % {"count": untagged},
                )
            else:
                changed, skipped, refused = bulk_tag(
                    queryset,
                    request.user,
                    speaker=form.cleaned_data.get("speaker"),
                    set_speaker=field == "speaker",
                    attribution=attribution,
                )
                self.message_user(
                    request,
                    ngettext("%(count)d annotation saved.", "%(count)d annotations saved.", changed)
                    % {"count": changed},
                    messages.SUCCESS,
                )
                for number, reasons in refused.items():
                    self.message_user(
                        request,
                        _("Statement %(number)s not changed: %(reasons)s")
                        % {"number": number, "reasons": " ".join(reasons)},
                        messages.ERROR,
                    )
                if skipped:
                    self.message_user(
                        request,
                        ngettext(
                            "%(count)d gold annotation left unchanged.",
                            "%(count)d gold annotations left unchanged.",
                            skipped,
                        )
                        % {"count": skipped},
                        messages.WARNING,
                    )
                return None
        statements = list(queryset.select_related("readout")[:200])
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Set the speaker of the selected statements")
            if field == "speaker"
            else _("Set the attribution of the selected statements"),
            "form": form,
            "action": action,
            "statements": statements,
            "count": queryset.count(),
            "untagged": untagged,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": WORKBENCH_MEDIA + form.media,
        }
        return TemplateResponse(request, "admin/readout_annotations/statement/bulk_tag.html", context)
