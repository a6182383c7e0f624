"""Forms of the workbench: one reading (speaker, attribution, mode, cue, stances) and the bulk tagger.

The annotator is never a form field: views take it from the request.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from ..models import Annotation, Attribution, Mode, Speaker, Stance, StanceValue, Target


def autocomplete(form_field: forms.ModelChoiceField, model_field, admin_site) -> None:
    """Give ``form_field`` the admin's select2 autocomplete for ``model_field``."""
    widget = AutocompleteSelect(model_field, admin_site, attrs={"data-width": "100%"})
    widget.choices = form_field.choices
    widget.is_required = form_field.required
    form_field.widget = widget


class ReadingForm(forms.Form):
    """Speaker, attribution, mode, cue and note of one annotation (stances are a formset)."""

    speaker = forms.ModelChoiceField(
        Speaker.objects.all(),
        label=_("speaker"),
        required=False,
        help_text=_("Who says it. Leave empty when no speaker can be named."),
    )
    attribution = forms.ChoiceField(label=_("attribution"), choices=Attribution.choices, widget=forms.RadioSelect)
    mode = forms.ChoiceField(
        label=_("mode"),
        choices=[("", _("not speech")), *Mode.choices],
        required=False,
        widget=forms.RadioSelect,
    )
    cue = forms.CharField(
        label=_("cue"),
        max_length=Annotation._meta.get_field("cue").max_length,
        required=False,
        help_text=Annotation._meta.get_field("cue").help_text,
    )
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        autocomplete(self.fields["speaker"], Annotation._meta.get_field("speaker"), admin_site)

    @classmethod
    def initial_from(cls, annotation: Annotation | None) -> dict:
        if annotation is None:
            return {}
        return {
            "speaker": annotation.speaker_id,
            "attribution": annotation.attribution,
            "mode": annotation.mode,
            "cue": annotation.cue,
            "note": annotation.note,
            "version": annotation.version,
        }


class StanceForm(forms.Form):
    target = forms.ModelChoiceField(Target.objects.all(), label=_("target"))
    stance = forms.ChoiceField(label=_("stance"), choices=StanceValue.choices, widget=forms.RadioSelect)

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        autocomplete(self.fields["target"], Stance._meta.get_field("target"), admin_site)


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
        if annotation is None:
            return []
        return [{"target": s.target_id, "stance": s.stance} for s in annotation.stances.all()]


StanceFormSet = forms.formset_factory(
    StanceForm, formset=BaseStanceFormSet, extra=2, can_delete=True, max_num=100, validate_max=True
)


def reading_forms(data, *, admin_site, source: Annotation | None = None):
    """The reading form and the stance formset, prefilled from ``source`` when given."""
    form = ReadingForm(data, admin_site=admin_site, initial=ReadingForm.initial_from(source))
    stances = StanceFormSet(
        data,
        prefix="stances",
        initial=BaseStanceFormSet.initial_from(source),
        form_kwargs={"admin_site": admin_site},
    )
    return form, stances


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
