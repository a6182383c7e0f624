"""Forms of the workbench: one reading (speaker, attribution, mode, cue, stances) and the bulk tagger.

The annotator is never a form field: views take it from the request.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import (
    Annotation,
    Attribution,
    Mode,
    Origin,
    Speaker,
    SpeakerKind,
    Stance,
    StanceValue,
    Target,
    TargetKind,
)


def autocomplete(form_field: forms.ModelChoiceField, model_field, admin_site) -> None:
    """Give ``form_field`` the admin's select2 autocomplete for ``model_field``."""
    widget = AutocompleteSelect(model_field, admin_site, attrs={"data-width": "100%"})
    widget.choices = form_field.choices
    widget.is_required = form_field.required
    form_field.widget = widget


class VocabularySelect(AutocompleteSelect):
    """The workbench's speaker or target picker: select2 on the workbench's ranked lookup
    (``statement/lookup/<vocabulary>/``), started by ``workbench.js`` (class ``ra-autocomplete``),
    which shows each row's kind, parent and description and offers to propose a new one.

    ``labels`` ({pk: name}), when the form sets it, names the selected rows without a query per
    widget, so a form with many stance rows costs the same as one with a single row.
    """

    def __init__(self, model_field, admin_site, vocabulary: str, attrs=None):
        super().__init__(model_field, admin_site, attrs={"data-width": "100%", **(attrs or {})})
        self.vocabulary = vocabulary
        self.labels: dict | None = None

    def get_url(self) -> str:
        return reverse(f"{self.admin_site.name}:readout_annotations_statement_lookup", args=(self.vocabulary,))

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs=extra_attrs)
        attrs["class"] = attrs["class"].replace("admin-autocomplete", "ra-autocomplete")
        attrs["data-vocabulary"] = self.vocabulary
        attrs["data-propose-url"] = reverse(
            f"{self.admin_site.name}:readout_annotations_statement_propose", args=(self.vocabulary,)
        )
        return attrs

    def optgroups(self, name, value, attr=None):
        if self.labels is None:
            return super().optgroups(name, value, attr)
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        options = [
            self.create_option(name, pk, self.labels[int(pk)], True, index)
            for index, pk in enumerate(selected)
            if pk.isdigit() and int(pk) in self.labels
        ]
        if not self.is_required and not self.allow_multiple_selected:
            options.insert(0, self.create_option(name, "", "", False, 0))
        return [(None, options, 0)]


def vocabulary_field(form_field: forms.ModelChoiceField, model_field, admin_site, vocabulary: str, user) -> None:
    """Give ``form_field`` the :class:`VocabularySelect` and limit it to what ``user`` may use."""
    if user is not None:
        form_field.queryset = form_field.queryset.model.objects.usable_by(user)
    widget = VocabularySelect(model_field, admin_site, vocabulary)
    widget.choices = form_field.choices
    widget.is_required = form_field.required
    form_field.widget = widget


#: Help texts from docs/guidelines.md (sections 2, 4 and 5), shown beside the fields.
ATTRIBUTION_HELP = _(
    "Decide the attribution first, then the speaker. Continued never crosses a paragraph; a sentence "
    "reporting an act (held talks, signed, inspected) is narration even when its subject is a speaker."
)
MODE_HELP = _(
    "Grammatical: a cue with the speaker's first person (I, we, our) is mixed, a cue without it indirect; "
    "a continued sentence in the first person is direct, otherwise indirect; narration has none."
)
CUE_HELP = _(
    'The reporting words as they stand in the statement, without the subject and without "that": '
    "explicit and inferred readings have one, continued and narration none. Select them in the statement."
)


class ReadingForm(forms.Form):
    """Speaker, attribution, mode, cue and note of one annotation (stances are a formset)."""

    speaker = forms.ModelChoiceField(
        Speaker.objects.all(),
        label=_("speaker"),
        required=False,
        help_text=_("Who says it. Leave empty when no speaker can be named."),
    )
    attribution = forms.ChoiceField(
        label=_("attribution"), choices=Attribution.choices, widget=forms.RadioSelect, help_text=ATTRIBUTION_HELP
    )
    mode = forms.ChoiceField(
        label=_("mode"),
        choices=[("", _("not speech")), *Mode.choices],
        required=False,
        widget=forms.RadioSelect,
        help_text=MODE_HELP,
    )
    cue = forms.CharField(
        label=_("cue"),
        max_length=Annotation._meta.get_field("cue").max_length,
        required=False,
        help_text=CUE_HELP,
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, admin_site, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        vocabulary_field(self.fields["speaker"], Annotation._meta.get_field("speaker"), admin_site, "speaker", user)

    @classmethod
    def initial_from(cls, annotation: Annotation | None) -> dict:
        """The form's initial data from ``annotation``: my own (with its version, for the
        compare-and-set) or a machine proposal (no version, no note: the proposal's note is its
        rule, shown as the "why", not copied into my reading)."""
        if annotation is None:
            return {}
        mine = annotation.origin != Origin.MACHINE
        return {
            "speaker": annotation.speaker_id,
            "attribution": annotation.attribution,
            "mode": annotation.mode,
            "cue": annotation.cue,
            "note": annotation.note if mine else "",
            "version": annotation.version if mine else None,
        }


class StanceForm(forms.Form):
    target = forms.ModelChoiceField(Target.objects.all(), label=_("target"))
    stance = forms.ChoiceField(label=_("stance"), choices=StanceValue.choices, widget=forms.RadioSelect)

    def __init__(self, *args, admin_site, user=None, labels=None, **kwargs):
        super().__init__(*args, **kwargs)
        vocabulary_field(self.fields["target"], Stance._meta.get_field("target"), admin_site, "target", user)
        self.fields["target"].widget.labels = labels

    @property
    def why(self) -> str:
        """The proposer's reason for a proposed stance (its ``Stance.note``), or ""."""
        return self.initial.get("why", "")

    @property
    def target_name(self) -> str:
        """The chosen target's name, from the labels the formset fetched (no query), or ""."""
        value = self["target"].value()
        labels = self.fields["target"].widget.labels or {}
        return labels.get(int(value), "") if str(value or "").isdigit() else ""


class BaseStanceFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        super().clean()
        seen = set()
        for form in self._kept_forms():
            target = form.cleaned_data["target"]
            if target.pk in seen:
                form.add_error("target", _("This target already has a stance in this annotation."))
            seen.add(target.pk)

    def _kept_forms(self) -> list[StanceForm]:
        """Rows with a valid target and stance that are not marked for deletion."""
        return [
            form
            for form in self.forms
            if form.is_valid() and form.cleaned_data.get("target") and not self._should_delete_form(form)
        ]

    def stances(self) -> list[tuple[Target, str]]:
        return [(form.cleaned_data["target"], form.cleaned_data["stance"]) for form in self._kept_forms()]

    @staticmethod
    def initial_from(annotation: Annotation | None) -> list[dict]:
        """The rows of ``annotation``'s stances; a machine proposal's carry their ``why``."""
        if annotation is None:
            return []
        machine = annotation.origin == Origin.MACHINE
        return [
            {"target": s.target_id, "stance": s.stance, "why": s.note if machine else ""}
            for s in annotation.stances.all()
        ]


#: No empty rows: "Add a target" (key ``t``) adds one where the annotator wants it.
StanceFormSet = forms.formset_factory(
    StanceForm, formset=BaseStanceFormSet, extra=0, can_delete=True, max_num=100, validate_max=True
)


def reading_forms(data, *, admin_site, source: Annotation | None = None, user=None):
    """The reading form and the stance formset, prefilled from ``source`` when given (my own
    annotation, or the statement's machine proposal). With ``user``, the speaker and targets
    offered are those ``user`` may use. Unbound, the selected targets are named in one query."""
    form = ReadingForm(data, admin_site=admin_site, user=user, initial=ReadingForm.initial_from(source))
    initial = BaseStanceFormSet.initial_from(source)
    labels = None
    if data is None:
        labels = {s.target_id: s.target.name for s in source.stances.all()} if source is not None else {}
    stances = StanceFormSet(
        data,
        prefix="stances",
        initial=initial,
        form_kwargs={"admin_site": admin_site, "user": user, "labels": labels},
    )
    if data is None:
        speaker = source.speaker if source is not None else None
        form.fields["speaker"].widget.labels = {speaker.pk: speaker.name} if speaker is not None else {}
    return form, stances


class ProposeSpeakerForm(forms.Form):
    """A speaker an annotator could not find (``vocabulary.propose_speaker``)."""

    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=SpeakerKind.choices, initial=SpeakerKind.PERSON)


class ProposeTargetForm(forms.Form):
    """A stance target an annotator could not find (``vocabulary.propose_target``)."""

    name = forms.CharField(label=_("name"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=TargetKind.choices, initial=TargetKind.ISSUE)
    parent = forms.ModelChoiceField(Target.objects.all(), label=_("parent"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Target.objects.usable_by(user)


def proposed_fields(form: ReadingForm, stances: BaseStanceFormSet) -> set[str]:
    """The fields a machine proposal filled, for unbound forms prefilled from it: speaker,
    attribution, mode and cue where it gave a value, ``"stances"`` where it gave any stance.
    A field left empty is not the proposal's to mark."""
    filled = {
        name
        for name in ("speaker", "attribution", "mode", "cue")
        if form.initial.get(name) not in form.fields[name].empty_values
    }
    return filled | ({"stances"} if stances.initial else set())


def reading_record(statement, form: ReadingForm, stances: BaseStanceFormSet) -> dict:
    """The valid forms as the record (plus note) the write service takes (``annotating``)."""
    data = form.cleaned_data
    return {
        "readout": statement.readout.slug,
        "statement": statement.number,
        "speaker": data["speaker"].slug if data["speaker"] else None,
        "attribution": data["attribution"],
        "mode": data["mode"],
        "cue": data["cue"],
        "stances": [{"target": target.slug, "stance": value} for target, value in stances.stances()],
        "note": data["note"],
    }


class BulkTagForm(forms.Form):
    """The intermediate page of the bulk actions on selected statements."""

    speaker = forms.ModelChoiceField(Speaker.objects.all(), label=_("speaker"), required=False)
    attribution = forms.ChoiceField(
        label=_("attribution"),
        choices=[("", _("— keep my attribution —")), *Attribution.choices],
        required=False,
        help_text=_("Needed for statements you have not annotated yet."),
    )

    def __init__(self, *args, admin_site, require: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.require = require
        autocomplete(self.fields["speaker"], Annotation._meta.get_field("speaker"), admin_site)
        self.fields[require].required = True
        if require == "attribution":
            del self.fields["speaker"]
            self.fields["attribution"].choices = Attribution.choices
            self.fields["attribution"].help_text = ""
