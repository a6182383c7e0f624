"""Statements with their gold readings, loaded for ``records.build_record`` in two queries.

The statement list is the API's hottest path (ML pipelines page through it). Loaded with
``select_related``/``prefetch_related``, a page of 100 builds about 900 model instances
(a readout, a speaker, a user for every row, a target for every stance) and a queryset per
annotation; here one query reads the page's columns and another its gold stances, and
the instances ``build_record`` reads are made directly, each readout, speaker, user and
target once per page. They are real model instances with only those columns loaded
(anything else is fetched on access, as with ``only()``), made without ``Model.__init__``:
``pre_init``/``post_init`` signals do not fire for them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.db.models.base import ModelState

from ..models import Annotation, Readout, Speaker, Stance, Statement, Target

STATEMENT_COLUMNS = ("id", "readout_id", "number", "paragraph", "start", "end", "text")
GOLD_COLUMNS = (
    "id",
    "speaker_id",
    "annotator_id",
    "origin",
    "machine_name",
    "machine_version",
    "attribution",
    "mode",
    "cue",
)


def _row_columns() -> tuple[str, ...]:
    username = get_user_model().USERNAME_FIELD
    return (
        *STATEMENT_COLUMNS,
        *(f"gold_annotation__{name}" for name in GOLD_COLUMNS),
        "readout__slug",
        "gold_annotation__speaker__slug",
        "gold_annotation__speaker__name",
        f"gold_annotation__annotator__{username}",
    )


def _make(model, db: str, **values):
    """A saved instance of ``model`` with just these columns (attnames) loaded.

    What ``Model.from_db`` makes, without ``__init__``'s pass over every field and its
    signals: the values go straight into the instance's ``__dict__``, where ``__init__``
    would have put them; any other column is deferred and loads on access.
    """
    instance = model.__new__(model)
    instance.__dict__.update(values)
    instance._state = ModelState()
    instance._state.adding, instance._state.db = False, db
    return instance


def _cache(model, name: str):
    """The field (or reverse relation) whose per-instance cache holds the related object."""
    return model._meta.get_field(name)


class StatementsWithGold:
    """A statement queryset as the paginator sees it: counted as is, sliced into loaded statements."""

    def __init__(self, queryset: QuerySet) -> None:
        self.queryset = queryset
        self.ordered = queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return load(self.queryset[index])
        return load(self.queryset[index : index + 1])[0]


def load(queryset: QuerySet) -> list[Statement]:
    """The statements of ``queryset``, each with ``gold_annotation`` (or None) ready for ``build_record``."""
    db = queryset.db
    user_model = get_user_model()
    username, user_pk = user_model.USERNAME_FIELD, user_model._meta.pk.attname
    readout_cache, gold_cache = _cache(Statement, "readout"), _cache(Statement, "gold_annotation")
    speaker_cache, annotator_cache = _cache(Annotation, "speaker"), _cache(Annotation, "annotator")
    readouts: dict[int, Readout] = {}
    speakers: dict[int, Speaker] = {}
    users: dict[int, object] = {}
    statements, golds = [], {}
    width, gold_width = len(STATEMENT_COLUMNS), len(GOLD_COLUMNS)
    for row in queryset.values_list(*_row_columns()):
        columns = dict(zip(STATEMENT_COLUMNS, row[:width], strict=True))
        gold_columns = dict(zip(GOLD_COLUMNS, row[width : width + gold_width], strict=True))
        readout_slug, speaker_slug, speaker_name, annotator_name = row[width + gold_width :]
        statement = _make(Statement, db, **columns)
        readout_id = statement.readout_id
        if readout_id not in readouts:
            readouts[readout_id] = _make(Readout, db, id=readout_id, slug=readout_slug)
        readout_cache.set_cached_value(statement, readouts[readout_id])
        gold = None
        if gold_columns["id"] is not None:
            gold = _make(
                Annotation, db, statement_id=statement.pk, gold=True, gold_statement_id=statement.pk, **gold_columns
            )
            speaker_id, annotator_id = gold.speaker_id, gold.annotator_id
            if speaker_id is not None and speaker_id not in speakers:
                speakers[speaker_id] = _make(Speaker, db, id=speaker_id, slug=speaker_slug, name=speaker_name)
            if annotator_id is not None and annotator_id not in users:
                users[annotator_id] = _make(user_model, db, **{user_pk: annotator_id, username: annotator_name})
            speaker_cache.set_cached_value(gold, speakers.get(speaker_id))
            annotator_cache.set_cached_value(gold, users.get(annotator_id))
            golds[gold.pk] = gold
        gold_cache.set_cached_value(statement, gold)
        statements.append(statement)
    attach_stances(golds.values(), db)
    return statements


def attach_stances(annotations: Iterable[Annotation], db: str) -> None:
    """Give every annotation its stances (with targets), as ``prefetch_related`` would, in one query."""
    by_id = {annotation.pk: annotation for annotation in annotations}
    if not by_id:
        return
    grouped: dict[int, list[Stance]] = {pk: [] for pk in by_id}
    targets: dict[int, Target] = {}
    target_cache = _cache(Stance, "target")
    rows = (
        Stance.objects.using(db)
        .filter(annotation_id__in=by_id)
        .order_by()  # build_record sorts them; the model's ordering would join up to the readout
        .values_list("id", "annotation_id", "target_id", "stance", "target__slug", "target__name")
    )
    for pk, annotation_id, target_id, value, slug, name in rows:
        stance = _make(Stance, db, id=pk, annotation_id=annotation_id, target_id=target_id, stance=value)
        if target_id not in targets:
            targets[target_id] = _make(Target, db, id=target_id, slug=slug, name=name)
        target_cache.set_cached_value(stance, targets[target_id])
        grouped[annotation_id].append(stance)
    # What prefetch_related leaves in the cache: a queryset per annotation holding its results.
    # They share one (never evaluated) query; any further filtering clones it first.
    template = QuerySet(model=Stance, using=db).__dict__
    for pk, annotation in by_id.items():
        cached = QuerySet.__new__(QuerySet)
        cached.__dict__.update(template, _result_cache=grouped[pk], _prefetch_done=True)
        annotation.__dict__.setdefault("_prefetched_objects_cache", {})["stances"] = cached
