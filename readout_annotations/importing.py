"""Reading readout files into a ``Readout``, its statements and machine proposals.

Used by ``manage.py import_readout`` and by the API's ``readouts/import/`` endpoint, so both
accept and refuse the same files with the same messages.

A file is the seed's format (see ``readout_annotations.text``): title, ``YYYY-MM-DD HH:MM``
timestamp in the zone given (default: the ``TIMEZONE`` setting), then the body. The readout's
slug is the file name's stem, slugified (``xi-lukashenko-talks-2023-03-01.txt`` gives
``xi-lukashenko-talks-2023-03-01``), unless one is given.

Importing a file again:

- identical title, timestamp and body: nothing happens (``unchanged``);
- anything changed: refused, unless ``replace`` is given and no person has annotated the
  readout (any annotation that is not a machine proposal counts as a person's). Replacing
  deletes the readout's statements and machine proposals and imports the file afresh, keeping
  the readout's other fields (publisher, URL, notes, host document).

Every import of one file is one transaction: a refused or broken file writes nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import attribution
from . import text as text_module
from .conf import app_settings
from .models import Annotation, Origin, Readout

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
    zone = _zone(name, timezone or app_settings.TIMEZONE)
    slug = _slug(name, slug)
    try:
        parsed = text_module.parse_readout(text_module.decode_readout(data))
    except text_module.ReadoutFormatError as error:
        raise ReadoutImportError(name, error.message, line=error.line) from None
    title_length = Readout._meta.get_field("title").max_length
    if len(parsed.title) > title_length:
        raise ReadoutImportError(name, _("title is longer than %(limit)s characters") % {"limit": title_length}, line=1)
    published_at = parsed.timestamp.replace(tzinfo=zone)
    try:
        return _store(name, slug, parsed, published_at, replace)
    except IntegrityError:  # another import created the same slug meanwhile
        raise ReadoutImportError(
            name,
            _("readout %(slug)r was created by another import at the same time; try again") % {"slug": slug},
            field="slug",
        ) from None


def _store(name: str, slug: str, parsed, published_at, replace: bool) -> ImportResult:
    with transaction.atomic():
        existing = Readout.objects.select_for_update().filter(slug=slug).first()
        if existing is None:
            return _create(slug=slug, title=parsed.title, published_at=published_at, text=parsed.body)
        if (
            existing.checksum == text_module.checksum(parsed.body)
            and existing.title == parsed.title
            and existing.published_at == published_at
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
        result = _create(slug=slug, title=parsed.title, published_at=published_at, text=parsed.body, **kept)
        return ImportResult(result.readout, REPLACED, result.statements, result.proposals)


def _create(**fields) -> ImportResult:
    readout = Readout.objects.create_segmented(**fields)
    statements = readout.statements.count()
    proposals = attribution.create_proposals(readout)
    return ImportResult(readout, CREATED, statements, proposals)


def _zone(name: str, timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReadoutImportError(name, _("unknown time zone %(zone)r") % {"zone": timezone}, field="timezone") from None


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
    created: int = 0
    updated: int = 0
    skipped: int = 0
    users_created: int = 0


def import_annotations(rows, *, create_users: bool = False) -> AnnotationImportResult:
    """Write ``(line, record)`` pairs (see ``formats.*.read``) as annotations, all or nothing.

    Each record names its statement (readout slug and number); its annotator by username
    (unknown usernames are an error unless ``create_users``); its ``origin`` (kept; human by
    default when there is an annotator, import otherwise; a human reading needs an annotator,
    a machine proposal has none); ``gold`` (kept; at most one per statement, in the file and in
    the database). A record without an attribution (a statement left unread in a gold export)
    is skipped. A reading by the same annotator of the same statement is updated, as is an
    existing reading without annotator of the same origin. Every bad line is reported, with its
    number, and then nothing is written.
    """
    from django.contrib.auth import get_user_model

    from .records import RecordResolver, apply_record

    user_model = get_user_model()
    resolver = RecordResolver()
    result = AnnotationImportResult()
    errors: list[str] = []
    users: dict[str, object] = {}
    aliases = None
    golds: set[int] = set()
    seen: set[tuple[int, int]] = set()
    created_here: set[int] = set()

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
            username = record.get("annotator") or None
            origin = record.get("origin") or (Origin.HUMAN if username else Origin.IMPORT)
            gold = record.get("gold", False)
            if origin not in Origin.values:
                problems.append(
                    _("origin %(value)r is not one of %(choices)s")
                    % {
                        "value": origin,
                        "choices": ", ".join(Origin.values),
                    }
                )
            if not isinstance(gold, bool):
                problems.append(_("gold must be true or false"))
            if username is not None and not isinstance(username, str):
                problems.append(_("the annotator is given by username, a string"))
                username = None
            if origin == Origin.HUMAN and username is None:
                problems.append(_("a human reading needs its annotator"))
            if origin == Origin.MACHINE and username is not None:
                problems.append(_("a machine proposal has no annotator"))
            if origin == Origin.MACHINE and gold is True:
                problems.append(_("a machine proposal cannot be gold"))
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
            user = None
            if username is not None:
                if username not in users:
                    users[username] = user_model._default_manager.filter(
                        **{user_model.USERNAME_FIELD: username}
                    ).first()
                user = users[username]
                if user is None and not create_users:
                    problems.append(
                        _("no user is called %(name)r (--create-users creates missing users)") % {"name": username}
                    )
            if problems:
                fail(line, "; ".join(problems))
                continue
            statement = resolved.statement
            if user is None and username is not None:
                user = _create_user(user_model, username)
                if isinstance(user, str):
                    fail(line, user)
                    continue
                users[username] = user
                result.users_created += 1
            if user is not None:
                if (statement.pk, user.pk) in seen:
                    fail(line, _("a second reading of this statement by %(name)r") % {"name": username})
                    continue
                seen.add((statement.pk, user.pk))
                existing = Annotation.objects.filter(statement=statement, annotator=user).first()
            else:
                existing = (
                    Annotation.objects.filter(statement=statement, annotator=None, origin=origin)
                    .exclude(pk__in=created_here)
                    .order_by("pk")
                    .first()
                )
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
            try:
                if existing is not None:
                    existing.origin = origin
                    existing.gold = gold
                    existing.gold_statement_id = statement.pk if gold else None
                    apply_record(resolved, annotation=existing)
                    result.updated += 1
                else:
                    # Built here rather than by apply_record so that a gold reading has its
                    # gold_statement before full_clean checks the gold constraint.
                    new = Annotation(
                        annotator=user,
                        origin=origin,
                        gold=gold,
                        gold_statement=statement if gold else None,
                        machine_name=str(record.get("model_name") or record.get("machine_name") or ""),
                        machine_version=str(record.get("model_version") or record.get("machine_version") or ""),
                    )
                    annotation = apply_record(resolved, annotation=new)
                    created_here.add(annotation.pk)
                    result.created += 1
            except ValidationError as error:
                fail(line, "; ".join(f"{field}: {' '.join(m)}" for field, m in error.message_dict.items()))
            except IntegrityError as error:
                fail(line, _("the database refused it: %(error)s") % {"error": error})
                break
        if errors:
            raise AnnotationImportError(errors)
    return result


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
