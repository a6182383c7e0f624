"""Reading readout files into a ``Readout``, its statements and machine proposals.

Used by ``manage.py import_readout`` and by the API's ``readouts/import/`` endpoint, so both
accept and refuse the same files with the same messages.

A file is the seed's format (see ``readout_annotations.text``): title, ``YYYY-MM-DD HH:MM``
timestamp in the zone given (default: ``default_zone()``, the ``TIMEZONE`` setting), then the body. The zone is
stored with the readout (``Readout.timezone``), and with it the day of publication in that zone
(``Readout.published_on``), which every export and filter uses. A file that starts with a UTF-16
byte-order mark is refused as "UTF-16 text: save it as UTF-8". The readout's
slug is the file name's stem, slugified (``xi-lukashenko-talks-2023-03-01.txt`` gives
``xi-lukashenko-talks-2023-03-01``), unless one is given.

Importing a file again:

- identical title, timestamp, zone and body: nothing happens (``unchanged``);
- anything changed: refused, unless ``replace`` is given and no person has annotated the
  readout (any annotation that is not a machine proposal counts as a person's). Replacing
  deletes the readout's statements and machine proposals and imports the file afresh, keeping
  the readout's other fields (publisher, URL, notes, host document).

Every import of one file is one transaction: a refused or broken file writes nothing.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import proposers
from . import text as text_module
from .conf import app_settings
from .models import Annotation, Origin, Readout, is_zone

CREATED = "created"
REPLACED = "replaced"
UNCHANGED = "unchanged"

#: Fields of an existing readout that a replacement keeps.
KEPT_FIELDS = ("event_date", "publisher", "url", "language", "notes", "document_type_id", "document_id")


class ReadoutImportError(Exception):
    """A file that cannot be imported.

    ``name`` is the file, ``line`` the 1-based line to blame (or None), ``field`` the request
    field the API reports it under (``file``, ``slug``, ``timezone`` or ``replace``).
    """

    def __init__(self, name: str, message: str, *, line: int | None = None, field: str = "file") -> None:
        super().__init__(name, message, line)
        self.name = name
        self.message = message
        self.line = line
        self.field = field

    @property
    def detail(self) -> str:
        """The message with its line, without the file name (for the API)."""
        return (
            self.message
            if self.line is None
            else _("line %(line)s: %(message)s")
            % {
                "line": self.line,
                "message": self.message,
            }
        )

    def __str__(self) -> str:
        return f"{self.name}: {self.detail}"


class TooManyStatements(ReadoutImportError):
    """A file whose body gives more statements than the ``MAX_STATEMENTS`` setting allows."""


@dataclass(frozen=True)
class ImportResult:
    readout: Readout
    status: str
    statements: int
    proposals: int


def slug_for(name: str) -> str:
    """The slug a file name gives: its stem, slugified."""
    return slugify(Path(name).stem)


def read_file(path: str | os.PathLike) -> bytes:
    """The bytes of a readout file, refusing directories, missing files and files over the limit."""
    name = str(path)
    if os.path.isdir(path):
        raise ReadoutImportError(name, _("is a directory, not a readout file"))
    limit = app_settings.MAX_IMPORT_BYTES
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise ReadoutImportError(name, too_large(size, limit))
            data = handle.read(limit + 1)
    except OSError as error:
        raise ReadoutImportError(name, _("cannot read: %(reason)s") % {"reason": error.strerror}) from None
    if len(data) > limit:
        raise ReadoutImportError(name, too_large(len(data), limit))
    return data


def too_large(size: int, limit: int) -> str:
    return _("file is %(size)s bytes, over the limit of %(limit)s bytes (READOUT_ANNOTATIONS_MAX_IMPORT_BYTES)") % {
        "size": size,
        "limit": limit,
    }


def too_many_statements(count: int, limit: int) -> str:
    return _(
        "the text gives %(count)s statements, over the limit of %(limit)s statements per readout "
        "(READOUT_ANNOTATIONS_MAX_STATEMENTS)"
    ) % {"count": count, "limit": limit}


def parse_file(data: bytes, name: str) -> tuple[text_module.ParsedReadout, list[text_module.Segment]]:
    """The parsed file and its body's sentences (``text.segment``), or ``ReadoutImportError``:
    a UTF-16 file, a malformed one, or one whose body gives more statements than the
    ``MAX_STATEMENTS`` setting allows (``TooManyStatements``). This is every check of a file's text; nothing is
    analysed or written before it passes."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadoutImportError(name, _("UTF-16 text: save it as UTF-8"), line=1)
    try:
        parsed = text_module.parse_readout(text_module.decode_readout(data))
    except text_module.ReadoutFormatError as error:
        raise ReadoutImportError(name, error.message, line=error.line) from None
    segments = text_module.segment(parsed.body)
    limit = app_settings.MAX_STATEMENTS
    if len(segments) > limit:
        raise TooManyStatements(name, too_many_statements(len(segments), limit))
    return parsed, segments


def default_zone() -> str:
    """The zone a file's timestamp line is read in when the importer names none (``import_readout
    --timezone``, the API's and the admin form's ``timezone``, each left out or blank): the
    ``READOUT_ANNOTATIONS_TIMEZONE`` setting. That is the zone the publisher dates its readouts
    in (a Chinese MFA readout: Asia/Shanghai), not the server's ``TIME_ZONE`` nor the importer's
    browser, and the one a readout without its own ``timezone`` is read in (``Readout.zone``)."""
    return app_settings.TIMEZONE


def import_path(
    path: str | os.PathLike, *, slug: str | None = None, timezone: str | None = None, replace: bool = False
) -> ImportResult:
    """Import the readout file at ``path``."""
    return import_readout(read_file(path), name=str(path), slug=slug, timezone=timezone, replace=replace)


def import_readout(
    data: bytes,
    *,
    name: str,
    slug: str | None = None,
    timezone: str | None = None,
    replace: bool = False,
    size: int | None = None,
) -> ImportResult:
    """Import the bytes of one readout file called ``name`` (the slug comes from it unless given).

    ``size`` is the file's full size when ``data`` holds only its beginning (an upload read up to
    one byte past the limit).
    """
    limit = app_settings.MAX_IMPORT_BYTES
    if len(data) > limit or (size or 0) > limit:
        raise ReadoutImportError(name, too_large(max(len(data), size or 0), limit))
    zone = _zone(name, timezone or default_zone())
    slug = _slug(name, slug)
    parsed, segments = parse_file(data, name)
    title_length = Readout._meta.get_field("title").max_length
    if len(parsed.title) > title_length:
        raise ReadoutImportError(name, _("title is longer than %(limit)s characters") % {"limit": title_length}, line=1)
    published_at = parsed.timestamp.replace(tzinfo=zone)
    try:
        return _store(name, slug, parsed, segments, published_at, replace, zone.key)
    except IntegrityError:  # another import created the same slug meanwhile
        raise ReadoutImportError(
            name,
            _("readout %(slug)r was created by another import at the same time; try again") % {"slug": slug},
            field="slug",
        ) from None


def _store(name: str, slug: str, parsed, segments, published_at, replace: bool, timezone: str) -> ImportResult:
    fields = {"slug": slug, "title": parsed.title, "published_at": published_at, "timezone": timezone}
    with transaction.atomic():
        existing = Readout.objects.select_for_update().filter(slug=slug).first()
        if existing is None:
            return _create(segments, **fields, text=parsed.body)
        if (
            existing.checksum == text_module.checksum(parsed.body)
            and existing.title == parsed.title
            and existing.published_at == published_at
            and (existing.timezone or app_settings.TIMEZONE) == timezone
        ):
            return ImportResult(existing, UNCHANGED, 0, 0)
        annotations = Annotation.objects.filter(statement__readout=existing)
        people = annotations.exclude(origin=Origin.MACHINE).count()
        if people:
            raise ReadoutImportError(
                name,
                _(
                    "readout %(slug)r exists with a different title, timestamp or text and has %(count)s "
                    "annotations by people; it cannot be replaced"
                )
                % {"slug": slug, "count": people},
                field="replace",
            )
        if not replace:
            raise ReadoutImportError(
                name,
                _(
                    "readout %(slug)r exists with a different title, timestamp or text; "
                    "replace it (--replace) while no person has annotated it"
                )
                % {"slug": slug},
                field="replace",
            )
        kept = {field: getattr(existing, field) for field in KEPT_FIELDS}
        annotations.delete()
        existing.delete()
        result = _create(segments, **fields, text=parsed.body, **kept)
        return ImportResult(result.readout, REPLACED, result.statements, result.proposals)


def _create(segments, **fields) -> ImportResult:
    readout = Readout.objects.create_segmented(segments=segments, **fields)
    statements = readout.statements.count()
    proposals = proposers.create_proposals(readout)
    return ImportResult(readout, CREATED, statements, proposals)


def _zone(name: str, timezone: str) -> ZoneInfo:
    if not is_zone(timezone):
        raise ReadoutImportError(name, _("unknown time zone %(zone)r") % {"zone": timezone}, field="timezone")
    return ZoneInfo(timezone)


def _slug(name: str, slug: str | None) -> str:
    if slug is None:
        slug = slug_for(name)
        if not slug:
            raise ReadoutImportError(name, _("no slug can be made from the file name; give one (--slug)"), field="slug")
    try:
        validate_slug(slug)
    except ValidationError:
        raise ReadoutImportError(
            name,
            _("%(slug)r is not a slug (letters, digits, hyphens and underscores)") % {"slug": slug},
            field="slug",
        ) from None
    limit = Readout._meta.get_field("slug").max_length
    if len(slug) > limit:
        raise ReadoutImportError(
            name, _("the slug is longer than %(limit)s characters; give one (--slug)") % {"limit": limit}, field="slug"
        )
    return slug


# --------------------------------------------------------------------------- annotations


class AnnotationImportError(Exception):
    """Records that cannot be imported: ``errors`` lists one message per bad line."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class AnnotationImportResult:
    """What an import did: counts of annotations, and ``not_imported``, one message per record
    left out (a changed copy of a reading another tool credits to someone else, see
    ``import_annotations``)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    users_created: int = 0
    not_imported: list[str] = field(default_factory=list)


#: The parts of a reading an import compares, in the order of ``_stored_reading``.
READING_PARTS = ("speaker", "attribution", "mode", "cue", "stances")


def _stored_reading(annotation: Annotation) -> tuple:
    """What an import compares (``READING_PARTS``): speaker, attribution, mode, cue and stances."""
    stances = frozenset(annotation.stances.values_list("target_id", "stance"))
    return (annotation.speaker_id, annotation.attribution, annotation.mode, annotation.cue, stances)


def _resolved_reading(resolved) -> tuple:
    stances = frozenset((target.pk, stance) for target, stance in resolved.stances)
    speaker = resolved.speaker.pk if resolved.speaker is not None else None
    return (speaker, resolved.attribution, resolved.mode, resolved.cue, stances)


class _Users:
    """Annotators named by an import: by username, by e-mail, or by an unresolved Label Studio id."""

    def __init__(self, create: bool) -> None:
        from django.contrib.auth import get_user_model

        self.model = get_user_model()
        self.create = create
        self.created = 0
        self._by_name: dict[str, object] = {}
        self._by_email: dict[str, object] = {}

    def named(self, record: dict) -> str | None:
        """How the record names its annotator (for messages), or None."""
        for key in ("annotator", "annotator_email"):
            if record.get(key):
                return str(record[key])
        if record.get("labelstudio_user") is not None:
            return f"Label Studio user {record['labelstudio_user']}"
        return None

    def find(self, record: dict, problems: list[str]):
        """The user the record names (None if it names nobody); appends to ``problems`` if it
        cannot be found. A missing username is created later (``create_missing``) with
        ``create_users``."""
        username = record.get("annotator") or None
        email = record.get("annotator_email") or None
        labelstudio_user = record.get("labelstudio_user")
        if labelstudio_user is not None:
            problems.append(
                _(
                    "completed_by is Label Studio user %(id)s and the file does not say who that is "
                    "(no completed_by object or e-mail for that id); map it with --labelstudio-user %(id)s=USERNAME"
                )
                % {"id": labelstudio_user}
            )
            return None
        if email is not None:
            if not isinstance(email, str):
                problems.append(_("the annotator's e-mail must be a string"))
                return None
            if email not in self._by_email:
                # Lower() rather than iexact: on MariaDB, iexact follows the column's collation.
                lowered = self.model._default_manager.annotate(_email=Lower(self.model.get_email_field_name()))
                found = list(lowered.filter(_email=email.lower())[:2])
                self._by_email[email] = found[0] if len(found) == 1 else len(found)
            user = self._by_email[email]
            if user == 0:
                problems.append(_("no user has the e-mail %(email)r") % {"email": email})
            elif isinstance(user, int):
                problems.append(_("more than one user has the e-mail %(email)r") % {"email": email})
            return user if not isinstance(user, int) else None
        if username is None:
            return None
        if not isinstance(username, str):
            problems.append(_("the annotator is given by username, a string"))
            return None
        if username not in self._by_name:
            self._by_name[username] = self.model._default_manager.filter(
                **{self.model.USERNAME_FIELD: username}
            ).first()
        user = self._by_name[username]
        if user is None and not self.create:
            problems.append(_("no user is called %(name)r (--create-users creates missing users)") % {"name": username})
        return user

    def create_missing(self, record: dict):
        """The user for a username that does not exist yet, created; or a message saying why not."""
        username = record["annotator"]
        user = _create_user(self.model, username)
        if not isinstance(user, str):
            self._by_name[username] = user
            self.created += 1
        return user


def import_annotations(rows, *, create_users: bool = False, reviewer=None) -> AnnotationImportResult:
    """Write ``(line, record)`` pairs (see ``formats.*.read``) as annotations, all or nothing.

    Each record names its statement (readout slug and number) and its annotator: ``annotator``
    (a username; unknown ones are an error unless ``create_users``) or ``annotator_email`` (one
    user with that e-mail); a ``labelstudio_user`` id that the reader could not resolve is an
    error. ``origin`` is human by default when there is an annotator, machine when the record
    names a ``model_name``, import otherwise; a human reading needs an annotator, a machine
    proposal has none and cannot be gold. A record without an attribution (a statement left
    unread in a gold export) is skipped.

    Which reading a record updates, never anybody else's:

    - a person's reading: the same annotator's reading of the statement;
    - a machine proposal: the proposal of the same ``model_name`` and ``model_version``;
    - an imported reading without annotator: one such reading of the statement (each once).

    A record may say which of our annotations it is a copy of (``exported_id``: Label Studio
    keeps the ``id`` our export gives each annotation as ``import_id``, and credits the copy to
    whoever imported it there). When that annotation reads the same statement and its annotator is
    not the user the record names, the record is that reading come back, whoever the file credits:
    ``unchanged`` if it reads the same (``READING_PARTS`` and gold), else left out and reported in
    ``not_imported`` (an import never puts another user's name on a reading, nor overwrites a
    reading that differs). The annotator a copy names need not exist then.

    An update never changes a reading's origin, and a reading that is already as the record
    says is left alone (``unchanged``: no new version). ``gold`` changes only when the record
    has a ``gold`` value, and then through ``adjudication``: ``accept`` (recording ``reviewer``,
    which may be None for "by import", and the time) or ``withdraw`` (which clears the
    adjudication with the gold). At most one gold reading per statement, in the file and in the
    database. Every bad line is reported, with its number, and then nothing is written.
    """
    from . import adjudication, annotating, locks
    from .records import RecordResolver, apply_record

    resolver = RecordResolver()
    users = _Users(create_users)
    result = AnnotationImportResult()
    errors: list[str] = []
    aliases = None
    golds: set[int] = set()
    seen: set[tuple[int, int]] = set()
    touched: set[int] = set()

    def fail(line: int, message: str) -> None:
        errors.append(_("line %(line)s: %(message)s") % {"line": line, "message": message})

    with transaction.atomic():
        for line, record in rows:
            if not isinstance(record, dict):
                fail(line, _("a record must be a JSON object"))
                continue
            if record.get("attribution") in (None, "") and not record.get("speaker"):
                result.skipped += 1
                continue
            problems: list[str] = []
            whose: list[str] = []  # who the record names: moot for a copy of another's reading
            user = users.find(record, whose)
            named = users.named(record)
            model_name = record.get("model_name") or ""
            model_version = record.get("model_version") or ""
            if not isinstance(model_name, str) or not isinstance(model_version, str):
                problems.append(_("model_name and model_version must be strings"))
                model_name, model_version = str(model_name), str(model_version)
            default_origin = Origin.HUMAN if named else (Origin.MACHINE if model_name else Origin.IMPORT)
            origin = record.get("origin") or default_origin
            gold = record.get("gold")  # None: the record does not say, and gold stays as it is
            if origin not in Origin.values:
                choices = ", ".join(Origin.values)
                problems.append(_("origin %(value)r is not one of %(choices)s") % {"value": origin, "choices": choices})
            if gold is not None and not isinstance(gold, bool):
                problems.append(_("gold must be true or false"))
            if origin == Origin.HUMAN and named is None:
                problems.append(_("a human reading needs its annotator"))
            if origin == Origin.MACHINE and named is not None:
                problems.append(_("a machine proposal has no annotator"))
            if origin == Origin.MACHINE and gold is True:
                problems.append(_("a machine proposal cannot be gold"))
            if origin != Origin.MACHINE and (model_name or model_version):
                problems.append(_("only a machine proposal names a model (model_name, model_version)"))
            if record.get("speaker_mention") and not record.get("speaker"):
                if aliases is None:
                    from .formats.base import speaker_index

                    aliases = speaker_index()[1]
                slug = aliases.resolve(record["speaker_mention"])
                if slug is None:
                    problems.append(_("speaker: no speaker is called %(name)r") % {"name": record["speaker_mention"]})
                record = {**record, "speaker": slug}
            try:
                resolved = resolver.resolve(record)
            except ValidationError as error:
                resolved = None
                for field, messages in error.message_dict.items():
                    problems.extend(f"{field}: {message}" for message in messages)
            if problems:
                fail(line, "; ".join(whose + problems))
                continue
            statement = resolved.statement
            source = _exported_from(record, statement, user)
            if source is not None:
                differs = _differences(source, resolved, gold)
                if differs:
                    result.not_imported.append(_not_imported(line, source, differs, named))
                else:
                    result.unchanged += 1
                    touched.add(source.pk)
                    if source.gold:
                        golds.add(statement.pk)
                continue
            if whose:
                fail(line, "; ".join(whose))
                continue
            if user is None and record.get("annotator"):
                user = users.create_missing(record)
                if isinstance(user, str):
                    fail(line, user)
                    continue
            if user is not None:
                if (statement.pk, user.pk) in seen:
                    fail(line, _("a second reading of this statement by %(name)r") % {"name": named})
                    continue
                seen.add((statement.pk, user.pk))
                existing = Annotation.objects.for_records().filter(statement=statement, annotator=user).first()
            else:
                same = Annotation.objects.for_records().filter(statement=statement, annotator=None, origin=origin)
                if origin == Origin.MACHINE:
                    same = same.filter(machine_name=model_name, machine_version=model_version)
                existing = same.exclude(pk__in=touched).order_by("pk").first()
            writes = existing is None or _stored_reading(existing) != _resolved_reading(resolved)
            if writes and origin != Origin.MACHINE:
                # A person's reading that this import writes meets the guideline, as every write
                # through the write service does (checked here so that every bad line is named).
                try:
                    annotating.resolve(record, origin=origin, resolver=resolver)
                except ValidationError as error:
                    fail(line, "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items()))
                    continue
            if gold:
                if statement.pk in golds:
                    fail(line, _("a second gold reading of this statement"))
                    continue
                golds.add(statement.pk)
                other = Annotation.objects.filter(gold_statement=statement)
                if existing is not None:
                    other = other.exclude(pk=existing.pk)
                if other.exists():
                    fail(line, _("this statement already has a gold reading"))
                    continue
            if errors:
                continue  # nothing will be written: keep checking, skip the writing
            # A person's reading (human or import) is written by the write service, as an
            # operator's (the command line's) write; machine proposals by records.apply_record.
            person = origin != Origin.MACHINE
            try:
                if existing is None and person:
                    saved = annotating.create(
                        None, record, annotator=user, origin=origin, operator=True, resolver=resolver
                    )
                    annotation = saved.annotation
                    result.created += 1
                elif existing is None:
                    annotation = apply_record(
                        resolved, origin=origin, machine_name=model_name, machine_version=model_version
                    )
                    result.created += 1
                elif writes:
                    if person:  # the origin, the annotator and gold stay as they are
                        annotation = annotating.update(
                            None, existing, record, operator=True, resolver=resolver
                        ).annotation
                    else:
                        annotation = apply_record(resolved, annotation=existing)
                    result.updated += 1
                elif gold is None or gold == existing.gold:
                    annotation = existing
                    result.unchanged += 1
                else:
                    annotation = existing
                    result.updated += 1
                touched.add(annotation.pk)
                if gold is True and not annotation.gold:
                    adjudication.accept(annotation, reviewer)
                elif gold is False and annotation.gold:
                    adjudication.withdraw(annotation)
            except ValidationError as error:
                fail(line, "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items()))
            except (annotating.Stale, annotating.Duplicate, locks.Busy):
                fail(line, _("someone else wrote this reading during the import; import the file again"))
                break
            except IntegrityError as error:
                fail(line, _("the database refused it: %(error)s") % {"error": error})
                break
        if errors:
            raise AnnotationImportError(errors)
    result.users_created = users.created
    return result


def _exported_from(record: dict, statement, user) -> Annotation | None:
    """The annotation of ``statement`` that ``record`` is a copy of (its ``exported_id``), when
    that annotation is not ``user``'s: None when the record names none, or none of this statement,
    or the one it names is the user's own (then it is that user's reading, imported as any other)."""
    exported_id = record.get("exported_id")
    if not isinstance(exported_id, int) or isinstance(exported_id, bool):
        return None
    source = Annotation.objects.filter(pk=exported_id, statement=statement).first()
    if source is None or (user is not None and source.annotator_id == user.pk):
        return None
    return source


def _differences(source: Annotation, resolved, gold) -> list[str]:
    """The parts (``READING_PARTS``, and ``gold`` when the record gives it) in which a record differs
    from ``source``."""
    stored, given = _stored_reading(source), _resolved_reading(resolved)
    differs = [part for part, a, b in zip(READING_PARTS, stored, given, strict=True) if a != b]
    if gold is not None and gold != source.gold:
        differs.append("gold")
    return differs


def _not_imported(line: int, source: Annotation, differs: list[str], named: str | None) -> str:
    annotator = source.annotator.get_username() if source.annotator_id else None
    whose = (
        _("%(name)s's reading") % {"name": annotator}
        if annotator
        else _("the %(origin)s reading") % {"origin": source.get_origin_display().lower()}
    )
    return _(
        "line %(line)s: not imported: a copy of %(whose)s of statement %(number)s (annotation %(id)s) "
        "with a different %(parts)s, credited to %(named)s (an import never puts another user's name on a "
        "reading, nor overwrites a reading that differs)"
    ) % {
        "line": line,
        "whose": whose,
        "number": source.statement.number,
        "id": source.pk,
        "parts": ", ".join(differs),
        "named": named or _("nobody"),
    }


def _create_user(user_model, username: str):
    """A new user without a usable password, or a message saying why the name will not do."""
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    try:
        field.run_validators(username)
    except ValidationError as error:
        return _("%(name)r cannot be a username: %(reason)s") % {"name": username, "reason": " ".join(error.messages)}
    user = user_model(**{user_model.USERNAME_FIELD: username})
    user.set_unusable_password()
    user.save()
    return user
