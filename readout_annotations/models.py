"""Readouts, their statements, speakers, stance targets and annotations.

Integrity lives in the database wherever every supported backend can enforce it
(unique and check constraints with explicit names); what a database cannot check
(a statement's text is the slice of its readout's text at its offsets, statements
do not overlap, a readout's text does not change under its statements) is checked
in ``clean()`` and again in ``save()``.

Gold: at most one gold annotation per statement, on every backend. MariaDB ignores
conditional unique constraints, so a gold annotation also points at its statement
through ``gold_statement``, a nullable one-to-one column (NULLs never collide), and
a check constraint keeps ``gold`` and ``gold_statement`` in step.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Iterable

import django
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.utils.dateparse import parse_datetime
from django.utils.timezone import is_naive, make_aware
from django.utils.translation import gettext_lazy as _

from . import text as text_module
from .roles import is_reviewer

ADJUDICATE_PERMISSION = "readout_annotations.adjudicate_annotation"


def check_constraint(*, name: str, condition: Q) -> models.CheckConstraint:
    """A ``CheckConstraint`` on every supported Django (``check=`` became ``condition=`` in 5.1)."""
    keyword = "condition" if django.VERSION >= (5, 1) else "check"
    return models.CheckConstraint(name=name, **{keyword: condition})


def choices_check(name: str, field: str, choices: type[models.TextChoices], *, blank: bool = False):
    allowed = list(choices.values) + ([""] if blank else [])
    return check_constraint(name=name, condition=Q(**{f"{field}__in": allowed}))


def ordered_uuid() -> uuid.UUID:
    """A UUID version 7 (RFC 9562): its first 48 bits are the Unix time in milliseconds, so rows
    inserted one after another sit side by side in a unique index instead of scattering over it.

    The standard library has ``uuid.uuid7`` from Python 3.14; below that the ``uuid6`` package
    (a dependency only there) provides the same RFC layout.
    """
    if hasattr(uuid, "uuid7"):
        return uuid.uuid7()
    import uuid6

    return uuid.UUID(bytes=uuid6.uuid7().bytes)


def is_zone(name: object) -> bool:
    """Whether ``name`` is a zone of the IANA database that ``zoneinfo`` can load, e.g.
    ``"Asia/Shanghai"`` or ``"UTC"``: the one test of a time zone name for every route (the import
    form, command and API, the readout's validation, system check E001).

    False for anything else, never an exception: a non-string, a blank name, a name with
    surrounding spaces, a path (``"../etc/passwd"``), a folder of the database (``"Asia"``), a
    name too long for the file system.
    """
    if not isinstance(name, str) or not name:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a folder: IsADirectoryError
        return False
    return True


def first_zone(*names) -> zoneinfo.ZoneInfo:
    """The first of ``names`` that is an IANA zone (see ``is_zone``; surrounding spaces are
    stripped, blank ones skipped), else UTC."""
    for name in names:
        name = str(name or "").strip()
        if is_zone(name):
            return zoneinfo.ZoneInfo(name)
    return zoneinfo.ZoneInfo("UTC")


class SlugManager(models.Manager):
    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


class SlugModel(models.Model):
    slug = models.SlugField(_("slug"), max_length=120, unique=True)

    objects = SlugManager()

    class Meta:
        abstract = True

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


# --------------------------------------------------------------------------- readouts


class ReadoutStatus(models.TextChoices):
    """Where a readout stands: in progress, then annotated once every statement has at least
    ``ANNOTATIONS_PER_STATEMENT`` human annotations, then adjudicated once every statement has gold.
    A readout whose every statement has gold and none of it from a person's reading (all of it
    imported: a fixture, an import file) is "gold imported" instead: nobody annotated or
    adjudicated it here."""

    IN_PROGRESS = "in_progress", _("in progress")
    ANNOTATED = "annotated", _("annotated")
    ADJUDICATED = "adjudicated", _("adjudicated")
    GOLD_IMPORTED = "gold_imported", _("gold imported")


#: The attributes ``ReadoutQuerySet.with_status`` annotates.
STATUS_ATTRIBUTES = ("status", "status_statements", "status_annotated", "status_gold")


class ReadoutQuerySet(models.QuerySet):
    @transaction.atomic
    def create_segmented(self, segments=None, **fields) -> Readout:
        """Create a readout and one statement per sentence of its text (see ``Readout.segment``)."""
        readout = self.create(**fields)
        readout.segment(segments)
        return readout

    def with_slugs(self, slugs: Iterable[str]) -> ReadoutQuerySet:
        """The readouts of ``slugs``; the one check of readout slugs that commands and the API give.

        Raises ``ValidationError({"readout": ["No readout has the slug 'x'.", ...]})``, one message per
        unknown slug in the order given, when any is unknown (one query).
        """
        wanted = list(dict.fromkeys(slugs))
        readouts = self.filter(slug__in=wanted)
        known = set(readouts.values_list("slug", flat=True))
        unknown = [slug for slug in wanted if slug not in known]
        if unknown:
            raise ValidationError(
                {"readout": [_("No readout has the slug %(slug)r.") % {"slug": slug} for slug in unknown]}
            )
        return readouts

    def with_counts(self, user=None):
        """Annotate ``statement_count``, ``gold_count`` and ``annotated_count`` (subqueries: no join
        fan-out; 0, never null).

        With a ``user`` who is not a reviewer, ``gold_count`` counts only that user's own gold
        readings (blind annotation) and ``annotated_count`` the statements they annotated.
        """
        statements = Statement.objects.filter(readout=OuterRef("pk"))
        gold = statements.filter(gold_annotation__isnull=False)
        if user is not None and not is_reviewer(user):
            gold = gold.filter(gold_annotation__annotator=user)
        mine = statements.filter(Exists(Annotation.objects.filter(statement=OuterRef("pk"), annotator=user)))
        return self.annotate(
            statement_count=_count_per_readout(statements),
            gold_count=_count_per_readout(gold),
            annotated_count=_count_per_readout(mine) if user is not None else models.Value(0),
        )

    def with_status(self, *, per_statement: int | None = None) -> ReadoutQuerySet:
        """Annotate the readouts with their status (``ReadoutStatus``), in the same query.

        Adds ``status_statements``, ``status_annotated`` (statements with at least
        ``per_statement`` human annotations, by default the ``ANNOTATIONS_PER_STATEMENT``
        setting), ``status_gold`` (statements with gold) and ``status`` (a ``ReadoutStatus``
        value; a readout without statements is in progress; one whose gold is all imported
        readings, ``Origin.IMPORT``, is ``GOLD_IMPORTED``). Each is a correlated subquery,
        so there is no join fan-out and the readouts can be filtered and ordered by status.
        """
        from .conf import app_settings

        needed = app_settings.ANNOTATIONS_PER_STATEMENT if per_statement is None else per_statement
        statements = Statement.objects.filter(readout=OuterRef("pk"))
        humans = (
            Annotation.objects.filter(statement=OuterRef("pk"), origin=Origin.HUMAN)
            .order_by()
            .values("statement")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        annotated = statements.alias(
            humans=Coalesce(models.Subquery(humans, output_field=models.IntegerField()), models.Value(0))
        ).filter(humans__gte=needed)
        with_gold = statements.filter(gold_annotation__isnull=False)
        return self.annotate(
            status_statements=_count_per_readout(statements),
            status_annotated=_count_per_readout(annotated),
            status_gold=_count_per_readout(with_gold),
        ).annotate(
            status=models.Case(
                models.When(status_statements=0, then=models.Value(ReadoutStatus.IN_PROGRESS.value)),
                models.When(
                    ~Exists(with_gold.exclude(gold_annotation__origin=Origin.IMPORT)),
                    status_gold=models.F("status_statements"),
                    then=models.Value(ReadoutStatus.GOLD_IMPORTED.value),
                ),
                models.When(
                    status_gold=models.F("status_statements"), then=models.Value(ReadoutStatus.ADJUDICATED.value)
                ),
                models.When(
                    status_annotated=models.F("status_statements"), then=models.Value(ReadoutStatus.ANNOTATED.value)
                ),
                default=models.Value(ReadoutStatus.IN_PROGRESS.value),
                output_field=models.CharField(max_length=20),
            )
        )

    def attach_status(self, readouts: Iterable[Readout]) -> None:
        """Give readouts fetched without ``with_status`` its attributes, in one query for them all."""
        missing = {readout.pk: readout for readout in readouts if not hasattr(readout, "status")}
        if not missing:
            return
        rows = self.filter(pk__in=missing).with_status().order_by().values_list("pk", *STATUS_ATTRIBUTES)
        for pk, *values in rows:
            for name, value in zip(STATUS_ATTRIBUTES, values, strict=True):
                setattr(missing[pk], name, value)


def _count_per_readout(statements: models.QuerySet) -> Coalesce:
    counted = statements.order_by().values("readout").annotate(n=models.Count("pk")).values("n")
    return Coalesce(models.Subquery(counted, output_field=models.IntegerField()), 0)


class Readout(SlugModel):
    title = models.CharField(_("title"), max_length=500)
    published_at = models.DateTimeField(
        _("published at"),
        help_text=_("When the publisher released the readout, with its time zone."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_(
            "The IANA zone the publisher dated the readout in (Asia/Shanghai); empty means the "
            "READOUT_ANNOTATIONS_TIMEZONE setting."
        ),
    )
    published_on = models.DateField(
        _("publication day"),
        null=True,
        editable=False,
        help_text=_("The day of publication in the readout's own time zone: the one day every export and filter uses."),
    )
    event_date = models.DateField(_("event date"), null=True, blank=True, help_text=_("The day of the meeting."))
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    url = models.URLField(_("URL"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=16, default="en", help_text=_("BCP 47 language tag."))
    text = models.TextField(
        _("text"),
        help_text=_(
            "The body, verbatim. Offsets count Unicode code points. It cannot change once the readout has statements."
        ),
    )
    checksum = models.CharField(_("checksum"), max_length=80, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    document_type = models.ForeignKey(
        ContentType,
        verbose_name=_("host document type"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    document_id = models.CharField(_("host document id"), max_length=64, blank=True)
    document = GenericForeignKey("document_type", "document_id")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = SlugManager.from_queryset(ReadoutQuerySet)()

    class Meta:
        verbose_name = _("readout")
        verbose_name_plural = _("readouts")
        ordering = ["-published_at", "slug"]
        indexes = [
            models.Index(fields=["published_at"], name="readout_published_idx"),
            models.Index(fields=["published_on"], name="readout_published_on_idx"),
            models.Index(fields=["document_type", "document_id"], name="readout_document_idx"),
        ]
        constraints = [
            check_constraint(
                name="readout_document_link_complete",
                condition=Q(document_type__isnull=True, document_id="")
                | Q(document_type__isnull=False) & ~Q(document_id=""),
            ),
        ]

    def __str__(self) -> str:
        """The title with the slug and the publication day, so that two readouts titled alike
        ("Xi held talks with ...") are told apart in every list and choice."""
        day = f", {self.published_on.isoformat()}" if self.published_on else ""
        return f"{self.title} ({self.slug}{day})"

    def _stored_text(self) -> str | None:
        if self.pk is None:
            return None
        return Readout.objects.filter(pk=self.pk).values_list("text", flat=True).first()

    def validate_text_unchanged(self) -> None:
        stored = self._stored_text()
        if stored is not None and stored != self.text and self.statements.exists():
            raise ValidationError(
                {"text": _("The text cannot change: this readout has statements whose offsets point into it.")},
                code="text_locked",
            )

    def clean(self) -> None:
        super().clean()
        self.validate_text_unchanged()
        if self.timezone and not is_zone(self.timezone):
            raise ValidationError(
                {"timezone": _("Unknown time zone %(zone)r.") % {"zone": self.timezone}}, code="invalid"
            )

    def current_status(self) -> ReadoutStatus:
        """This readout's status: read from ``with_status`` if it was used, else one query."""
        Readout.objects.attach_status([self])
        return ReadoutStatus(self.status)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The zone of publication: ``timezone``, else the ``TIMEZONE`` setting; UTC when neither
        names a zone (system check E001 reports a bad setting)."""
        from .conf import app_settings

        return first_zone(self.timezone, app_settings.TIMEZONE)

    def publication_day(self):
        """``published_at`` as a date in the readout's own zone (not the host's)."""
        moment = self.published_at
        if isinstance(moment, str):
            moment = parse_datetime(moment)
        if moment is None:
            return None
        if is_naive(moment):
            moment = make_aware(moment, self.zone)
        return moment.astimezone(self.zone).date()

    def save(self, *args, **kwargs) -> None:
        self.validate_text_unchanged()
        self.checksum = text_module.checksum(self.text)
        self.published_on = self.publication_day()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "published_on"}
        super().save(*args, **kwargs)

    def segment(self, segments=None) -> list[Statement]:
        """Create one statement per sentence of the text (``text.segment``, or ``segments`` when
        the caller has them already); the readout has none yet."""
        return Statement.objects.bulk_create(
            Statement(
                readout=self, number=s.number, paragraph=s.paragraph, start=s.start, end=s.end, text=s.text(self.text)
            )
            for s in (text_module.segment(self.text) if segments is None else segments)
        )

    @transaction.atomic
    def delete_with_annotations(self) -> None:
        """Delete the readout with its statements and every annotation of them: an explicit act."""
        Annotation.objects.filter(statement__readout=self).delete()
        self.delete()


# --------------------------------------------------------------------------- speakers and targets


class ReviewStatus(models.TextChoices):
    """Whether a speaker or target is part of the confirmed vocabulary.

    ``proposed`` rows were made by a machine proposer (``proposed_by_machine``) or by an annotator
    from the annotation form (``proposed_by``); a reviewer confirms, edits or merges them.
    """

    CONFIRMED = "confirmed", _("confirmed")
    PROPOSED = "proposed", _("proposed")


class ProposableQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=ReviewStatus.CONFIRMED)

    def proposed(self):
        return self.filter(status=ReviewStatus.PROPOSED)

    def usable_by(self, user):
        """What ``user`` may pick in a reading: confirmed rows, machine proposals, and their own
        proposals (an annotator never sees another annotator's proposed names). Reviewers: all."""
        if is_reviewer(user):
            return self
        usable = Q(status=ReviewStatus.CONFIRMED) | Q(status=ReviewStatus.PROPOSED, proposed_by__isnull=True)
        if user is not None and user.is_authenticated:
            usable |= Q(proposed_by=user)
        return self.filter(usable)


class Proposable(models.Model):
    """The review state shared by :class:`Speaker` and :class:`Target`."""

    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReviewStatus.choices,
        default=ReviewStatus.CONFIRMED,
        help_text=_("Proposed rows wait for a reviewer to confirm, edit or merge them."),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The annotator who proposed it from the annotation form."),
    )
    proposed_by_machine = models.CharField(
        _("proposed by machine"),
        max_length=200,
        blank=True,
        editable=False,
        help_text=_("The proposer (model name) that found it in a readout."),
    )

    class Meta:
        abstract = True

    @property
    def is_proposed(self) -> bool:
        return self.status == ReviewStatus.PROPOSED


class SpeakerKind(models.TextChoices):
    PERSON = "person", _("person")
    GROUP = "group", _("group")
    ORGANIZATION = "organization", _("organization")
    STATE = "state", _("state")
    PUBLISHER = "publisher", _("publisher")


class TargetKind(models.TextChoices):
    ISSUE = "issue", _("issue")
    INITIATIVE = "initiative", _("initiative")
    ACTOR = "actor", _("actor")
    INSTITUTION = "institution", _("institution")
    EVENT = "event", _("event")
    POLICY = "policy", _("policy or position")
    PRINCIPLE = "principle", _("principle")
    PROJECT = "project", _("project")
    REGION = "region", _("region")


class Speaker(SlugModel, Proposable):
    Kind = SpeakerKind
    Status = ReviewStatus

    objects = SlugManager.from_queryset(ProposableQuerySet)()

    name = models.CharField(_("display name"), max_length=200)
    kind = models.CharField(
        _("kind"),
        max_length=20,
        choices=SpeakerKind.choices,
        default=SpeakerKind.PERSON,
    )
    title = models.CharField(_("title or role"), max_length=200, blank=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True, help_text=_("Usually a country."))
    aliases = models.JSONField(
        _("aliases"),
        default=list,
        blank=True,
        help_text=_('Names the texts use for this speaker, for matching: "Xi", "President Xi", "Xi Jinping".'),
    )
    members = models.ManyToManyField(
        "self",
        verbose_name=_("members"),
        symmetrical=False,
        blank=True,
        related_name="member_of",
        help_text=_('For a group such as "the two heads of state": the persons in it.'),
    )
    wikidata_id = models.CharField(
        _("Wikidata id"),
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^Q[1-9][0-9]*$", _("A Wikidata id looks like Q12345."))],
    )

    class Meta:
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        ordering = ["name"]
        indexes = [models.Index(fields=["status"], name="speaker_status_idx")]
        constraints = [
            choices_check("speaker_kind_valid", "kind", SpeakerKind),
            choices_check("speaker_status_valid", "status", ReviewStatus),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) and a.strip() for a in self.aliases):
            raise ValidationError(
                {"aliases": _("Aliases must be a list of non-empty strings.")},
                code="invalid",
            )


class Target(SlugModel, Proposable):
    Kind = TargetKind
    Status = ReviewStatus

    objects = SlugManager.from_queryset(ProposableQuerySet)()

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=TargetKind.choices, default=TargetKind.ISSUE)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text=_('A broader target: "Taiwan" under "core interests".'),
    )
    description = models.TextField(_("description"), blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["name"]
        indexes = [models.Index(fields=["status"], name="target_status_idx")]
        constraints = [
            choices_check("target_kind_valid", "kind", TargetKind),
            choices_check("target_status_valid", "status", ReviewStatus),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        node, seen = self.parent, {self.pk}
        while node is not None:
            if node.pk in seen:
                raise ValidationError({"parent": _("A target cannot be its own ancestor.")}, code="cycle")
            seen.add(node.pk)
            node = node.parent


# --------------------------------------------------------------------------- statements


class StatementManager(models.Manager):
    def get_by_natural_key(self, readout_slug: str, number: int):
        return self.get(readout__slug=readout_slug, number=number)


class StatementQuerySet(models.QuerySet):
    def with_gold(self):
        """Everything a canonical record needs, in a fixed number of queries."""
        return self.select_related(
            "readout", "gold_annotation__speaker", "gold_annotation__annotator"
        ).prefetch_related(
            models.Prefetch(
                "gold_annotation__stances",
                queryset=Stance.objects.select_related("target"),
            )
        )

    def annotated_by(self, user):
        return self.filter(Exists(Annotation.objects.filter(statement=OuterRef("pk"), annotator=user)))

    def unannotated_by(self, user):
        return self.exclude(Exists(Annotation.objects.filter(statement=OuterRef("pk"), annotator=user)))

    def has_gold(self, value: bool = True):
        return self.filter(gold_annotation__isnull=not value)


class Statement(models.Model):
    readout = models.ForeignKey(
        Readout,
        verbose_name=_("readout"),
        on_delete=models.CASCADE,
        related_name="statements",
    )
    number = models.PositiveIntegerField(_("number"), help_text=_("Order in the readout, from 1."))
    paragraph = models.PositiveIntegerField(_("paragraph"), help_text=_("Paragraph of the readout, from 1."))
    start = models.PositiveIntegerField(_("start"), help_text=_("Offset of the first character, in code points."))
    end = models.PositiveIntegerField(_("end"), help_text=_("Offset just past the last character, in code points."))
    text = models.TextField(_("text"), help_text=_("Exactly the readout's text from start to end."))

    objects = StatementManager.from_queryset(StatementQuerySet)()

    class Meta:
        verbose_name = _("statement")
        verbose_name_plural = _("statements")
        ordering = ["readout", "number"]
        constraints = [
            models.UniqueConstraint(fields=["readout", "number"], name="statement_number_unique"),
            models.UniqueConstraint(fields=["readout", "start"], name="statement_start_unique"),
            check_constraint(name="statement_number_positive", condition=Q(number__gte=1)),
            check_constraint(name="statement_paragraph_positive", condition=Q(paragraph__gte=1)),
            check_constraint(name="statement_span_not_empty", condition=Q(end__gt=models.F("start"))),
        ]

    def __str__(self) -> str:
        return f"{self.readout.slug} #{self.number}"

    def natural_key(self) -> tuple[str, int]:
        return (*self.readout.natural_key(), self.number)

    natural_key.dependencies = ["readout_annotations.readout"]

    def validate_span(self) -> None:
        """The span lies inside the text, its text is the slice, and it overlaps no other statement."""
        errors: dict[str, str] = {}
        if self.start is None or self.end is None or self.readout_id is None:
            return
        length = len(self.readout.text)
        if self.start < 0 or self.start > length:
            errors["start"] = _("Start %(start)s is outside the readout's text (0 to %(length)s).") % {
                "start": self.start,
                "length": length,
            }
        if self.end > length:
            errors["end"] = _("End %(end)s is past the end of the readout's text (%(length)s).") % {
                "end": self.end,
                "length": length,
            }
        elif self.end <= self.start:
            errors["end"] = _("End must be greater than start.")
        if not errors and self.text != self.readout.text[self.start : self.end]:
            errors["text"] = _("The text must be exactly the readout's text from start to end.")
        if not errors:
            clash = (
                Statement.objects.filter(readout_id=self.readout_id, start__lt=self.end, end__gt=self.start)
                .exclude(pk=self.pk)
                .values_list("number", flat=True)
                .first()
            )
            if clash is not None:
                errors["start"] = _("This span overlaps statement %(number)s.") % {"number": clash}
        if errors:
            raise ValidationError(errors, code="invalid_span")

    def validate_offsets_unchanged(self) -> None:
        """A statement with annotations keeps its offsets: readings point at its text. Splitting and
        merging (``boundaries``) change them with the readings carried over or flagged."""
        if self.pk is None or getattr(self, "_boundaries_changing", False):
            return
        stored = Statement.objects.filter(pk=self.pk).values_list("start", "end").first()
        if stored is not None and stored != (self.start, self.end) and self.annotations.exists():
            raise ValidationError(
                {
                    "start": _(
                        "This statement has annotations, so its offsets cannot change by hand: split it or "
                        "merge it with the next one instead, which carries the readings over or flags them "
                        "for re-reading."
                    )
                },
                code="offsets_locked",
            )

    def clean(self) -> None:
        super().clean()
        self.validate_span()
        self.validate_offsets_unchanged()

    def save(self, *args, **kwargs) -> None:
        self.validate_span()
        self.validate_offsets_unchanged()
        super().save(*args, **kwargs)


@receiver(pre_save, sender=Readout)
def date_raw_readout(sender, instance: Readout, raw: bool, **kwargs) -> None:
    """``loaddata`` saves raw, past ``Readout.save()``: a fixture's readout gets its publication day all the same."""
    if raw:
        instance.published_on = instance.publication_day()


@receiver(pre_save, sender=Statement)
def check_raw_statement(sender, instance: Statement, raw: bool, **kwargs) -> None:
    """``loaddata`` saves raw, past ``Statement.save()``: a fixture's spans are checked all the same."""
    if raw:
        instance.validate_span()


# --------------------------------------------------------------------------- annotations


class Attribution(models.TextChoices):
    EXPLICIT = "explicit", _("explicit: named with a cue in this sentence")
    CONTINUED = "continued", _("continued: carried over from earlier reported speech")
    INFERRED = (
        "inferred",
        _("inferred: not named in the source, recovered from context"),
    )
    NARRATION = "narration", _("narration: the publisher's own account")


class Mode(models.TextChoices):
    DIRECT = "direct", _("direct")
    INDIRECT = "indirect", _("indirect")
    MIXED = "mixed", _("mixed")


class Origin(models.TextChoices):
    HUMAN = "human", _("human")
    MACHINE = "machine", _("machine")
    IMPORT = "import", _("import")


class StanceValue(models.TextChoices):
    FAVOR = "favor", _("favor")
    AGAINST = "against", _("against")
    NONE = "none", _("none")


class AnnotationManager(models.Manager):
    def get_by_natural_key(self, uuid_value: str):
        return self.get(uuid=uuid_value)


class AnnotationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reviewers see every annotation; anyone else only their own (blind annotation)."""
        if user is None or not user.is_authenticated:
            return self.none()
        if is_reviewer(user):
            return self
        return self.filter(annotator=user)

    def human(self):
        return self.filter(origin=Origin.HUMAN)

    def gold(self):
        return self.filter(gold=True)

    def for_records(self):
        """Everything a canonical record needs, in a fixed number of queries."""
        return self.select_related("statement__readout", "speaker", "annotator").prefetch_related(
            models.Prefetch("stances", queryset=Stance.objects.select_related("target"))
        )


class Annotation(models.Model):
    uuid = models.UUIDField(_("UUID"), default=ordered_uuid, unique=True, editable=False)
    statement = models.ForeignKey(
        Statement,
        verbose_name=_("statement"),
        on_delete=models.PROTECT,
        related_name="annotations",
    )
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("annotator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="readout_annotations",
        help_text=_("Empty for machine proposals and imports without a user."),
    )
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.HUMAN)
    machine_name = models.CharField(_("machine name"), max_length=200, blank=True)
    machine_version = models.CharField(_("machine version"), max_length=100, blank=True)
    speaker = models.ForeignKey(
        Speaker,
        verbose_name=_("speaker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="annotations",
    )
    attribution = models.CharField(_("attribution"), max_length=10, choices=Attribution.choices)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, blank=True)
    cue = models.CharField(
        _("cue"),
        max_length=200,
        blank=True,
        help_text=_('The phrase that introduces the speech: "pointed out".'),
    )
    note = models.TextField(_("note"), blank=True)
    gold = models.BooleanField(
        _("gold"),
        default=False,
        help_text=_("The adjudicated reading of the statement."),
    )
    gold_statement = models.OneToOneField(
        Statement,
        verbose_name=_("gold of statement"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="gold_annotation",
    )
    adjudicated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("adjudicated by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    adjudicated_at = models.DateTimeField(_("adjudicated at"), null=True, blank=True, editable=False)
    adjudicated_from = models.ManyToManyField(
        "self",
        verbose_name=_("adjudicated from"),
        symmetrical=False,
        blank=True,
        related_name="adjudications",
        help_text=_("The annotations a reviewer compared to reach this gold reading."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    reread_reason = models.CharField(
        _("to re-read because"),
        max_length=500,
        blank=True,
        editable=False,
        help_text=_(
            "Set when a reviewer split or merged the statement and this reading may no longer apply "
            "(or lost its gold); cleared when the reading is saved again."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = AnnotationManager.from_queryset(AnnotationQuerySet)()

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["statement", "pk"]
        permissions = [("adjudicate_annotation", _("Can see every annotation and adjudicate gold"))]
        indexes = [models.Index(fields=["origin", "statement"], name="annotation_origin_idx")]
        constraints = [
            models.UniqueConstraint(fields=["statement", "annotator"], name="annotation_one_per_annotator"),
            choices_check("annotation_attribution_valid", "attribution", Attribution),
            choices_check("annotation_mode_valid", "mode", Mode, blank=True),
            choices_check("annotation_origin_valid", "origin", Origin),
            check_constraint(
                name="annotation_gold_consistent",
                condition=Q(gold=False, gold_statement__isnull=True)
                | Q(gold=True, gold_statement__isnull=False, gold_statement=models.F("statement")),
            ),
            check_constraint(
                name="annotation_origin_annotator",
                condition=Q(origin=Origin.HUMAN, annotator__isnull=False)
                | Q(origin=Origin.MACHINE, annotator__isnull=True)
                | Q(origin=Origin.IMPORT),
            ),
        ]

    def __str__(self) -> str:
        """``"<readout slug> #<number> by <who>"``: the annotator, a machine by its proposer's
        label (``proposers.machine_label``), else the origin."""
        if self.annotator is None and self.machine_name:
            from .proposers import machine_label  # proposers imports the rules, which import models

            who = machine_label(self.machine_name)
        else:
            who = self.annotator or self.get_origin_display()
        return f"{self.statement} by {who}"

    def natural_key(self) -> tuple[str]:
        return (str(self.uuid),)

    def clean(self) -> None:
        super().clean()
        self.gold_statement_id = self.statement_id if self.gold else None  # as save() will
        errors = {}
        if self.origin == Origin.HUMAN and self.annotator_id is None:
            errors["annotator"] = _("A human annotation needs its annotator.")
        if self.origin == Origin.MACHINE and self.annotator_id is not None:
            errors["annotator"] = _("A machine proposal has no annotator.")
        if self.origin == Origin.MACHINE and self.gold:
            errors["gold"] = _("A machine proposal cannot be gold; accept it into a new reading instead.")
        if self.gold and self.statement_id is not None:
            other = Annotation.objects.filter(gold_statement_id=self.statement_id).exclude(pk=self.pk)
            if other.exists():
                errors["gold"] = _("This statement already has a gold annotation.")
        if errors:
            raise ValidationError(errors)

    def validate_unique(self, exclude=None) -> None:
        # clean() reports a second gold on the "gold" field; the column behind it need not repeat it.
        super().validate_unique(exclude={*(exclude or ()), "gold_statement"})

    def save(self, *args, **kwargs) -> None:
        self.gold_statement_id = self.statement_id if self.gold else None
        if self.pk is not None and not kwargs.get("force_insert"):
            self.version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "version",
                "gold_statement",
                "updated_at",
            }
        super().save(*args, **kwargs)


class StanceManager(models.Manager):
    def get_by_natural_key(self, annotation_uuid: str, target_slug: str):
        return self.get(annotation__uuid=annotation_uuid, target__slug=target_slug)


class Stance(models.Model):
    annotation = models.ForeignKey(
        Annotation,
        verbose_name=_("annotation"),
        on_delete=models.CASCADE,
        related_name="stances",
    )
    target = models.ForeignKey(
        Target,
        verbose_name=_("target"),
        on_delete=models.PROTECT,
        related_name="stances",
    )
    stance = models.CharField(_("stance"), max_length=10, choices=StanceValue.choices)
    note = models.CharField(
        _("note"),
        max_length=500,
        blank=True,
        help_text=_("Why: for a machine proposal, the rule and the words it rests on."),
    )

    objects = StanceManager()

    class Meta:
        verbose_name = _("stance")
        verbose_name_plural = _("stances")
        ordering = ["annotation", "target__name"]
        constraints = [
            models.UniqueConstraint(fields=["annotation", "target"], name="stance_one_per_target"),
            choices_check("stance_value_valid", "stance", StanceValue),
        ]

    def __str__(self) -> str:
        return f"{self.get_stance_display()} {self.target}"

    def natural_key(self) -> tuple[str, str]:
        return (*self.annotation.natural_key(), *self.target.natural_key())

    natural_key.dependencies = [
        "readout_annotations.annotation",
        "readout_annotations.target",
    ]


# --------------------------------------------------------------------------- jobs


class JobKind(models.TextChoices):
    EXPORT = "export", _("export")
    IMPORT_READOUTS = "import_readouts", _("import readouts")
    IMPORT_ANNOTATIONS = "import_annotations", _("import annotations")
    AGREEMENT = "agreement", _("agreement report")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class JobQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Reviewers see every job; anyone else only the jobs they asked for."""
        if user is None or not user.is_authenticated:
            return self.none()
        if is_reviewer(user):
            return self
        return self.filter(user=user)

    def lost(self, now, timeout_seconds: float):
        """Running jobs whose worker has not beaten its heart for ``timeout_seconds``."""
        from datetime import timedelta

        return self.filter(status=JobStatus.RUNNING, heartbeat_at__lt=now - timedelta(seconds=timeout_seconds))


def job_file_path(job: Job, filename: str) -> str:
    from .conf import app_settings

    return f"{app_settings.JOB_STORAGE_PREFIX}/{job.uuid}/{filename}"


class Job(models.Model):
    """A piece of long work (an export, an import, the agreement report) run as a task on the
    host's Tasks backend; see ``readout_annotations.jobs``. Its result file lives in the host's
    default storage."""

    Kind = JobKind
    Status = JobStatus

    uuid = models.UUIDField(_("UUID"), default=ordered_uuid, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=JobKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.CASCADE,
        related_name="readout_jobs",
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    inputs = models.JSONField(
        _("input files"), default=list, blank=True, help_text=_("Storage names of the uploaded files, in order.")
    )
    progress_done = models.PositiveBigIntegerField(_("done"), default=0)
    progress_total = models.PositiveBigIntegerField(_("total"), null=True, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    result = models.FileField(_("result file"), upload_to=job_file_path, max_length=500, blank=True)
    task_id = models.CharField(_("task id"), max_length=100, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="job_user_idx"),
            models.Index(fields=["status", "heartbeat_at"], name="job_status_idx"),
        ]
        constraints = [
            choices_check("job_kind_valid", "kind", JobKind),
            choices_check("job_status_valid", "status", JobStatus),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.uuid} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
