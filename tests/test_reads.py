"""The one read path (``records.read``): records built from rows equal what the model instances
say, batch by batch, for every kind of reading, in queries that do not grow with the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readout_annotations import records
from readout_annotations.models import Annotation, Speaker, Stance, Statement, Target

from .conftest import make_readout
from .test_api import gold_of, record_of

TEXT = "\n\n".join(f"Sentence number {n} says something." for n in range(1, 12))


@pytest.fixture
def mixed(db, annotator, other_annotator, reviewer):
    """Eleven statements: gold of each origin, proposals with and without a version, unread ones."""
    readout = make_readout("mixed", TEXT)
    xi = Speaker.objects.create(slug="xi", name="Xi Jinping")
    taiwan = Target.objects.create(slug="taiwan", name="Taiwan")
    bri = Target.objects.create(slug="bri", name="Belt and Road")
    statements = list(readout.statements.order_by("number"))
    assert len(statements) == 11
    for index, statement in enumerate(statements[:9]):
        reading = Annotation.objects.create(
            statement=statement,
            annotator=(annotator, other_annotator, reviewer)[index % 3],
            speaker=xi if index % 2 else None,
            attribution="explicit" if index % 2 else "narration",
            mode=("", "direct", "indirect")[index % 3],
            cue="said" if index % 2 else "",
            gold=index % 4 == 0,
        )
        for target in (taiwan, bri)[: index % 3]:
            Stance.objects.create(annotation=reading, target=target, stance=("favor", "against")[index % 2])
        Annotation.objects.create(
            statement=statement,
            origin="machine",
            machine_name="rules",
            machine_version="1.2" if index % 2 else "",
            attribution="narration",
        )
    Annotation.objects.create(
        statement=statements[9], origin="import", machine_name="tagger", attribution="inferred", gold=True
    )
    return readout


@pytest.mark.parametrize("batch", [1, 4, 1000])
def test_records_from_rows_equal_the_model_instances(mixed, batch):
    statements = Statement.objects.filter(readout=mixed).order_by("number")
    expected = [record_of(s, gold_of(s)) for s in statements.select_related("gold_annotation")]
    assert [record for record, *_ in records.read(statements, batch=batch)] == expected
    annotations = Annotation.objects.filter(statement__readout=mixed).order_by("statement__number", "pk")
    expected = [record_of(a.statement, a) for a in annotations]
    assert [record for record, *_ in records.read(annotations, batch=batch)] == expected
    assert len(expected) == 19


def test_ids_and_versions_come_with_each_record(mixed):
    gold = Annotation.objects.get(statement__readout=mixed, statement__number=1, gold=True)
    Annotation.objects.filter(pk=gold.pk).update(version=7)
    (item,) = records.read(Statement.objects.filter(pk=gold.statement_id))
    assert item[1:] == (gold.statement_id, gold.pk, 7)
    unread = Statement.objects.get(readout=mixed, number=11)
    assert next(records.read(Statement.objects.filter(pk=unread.pk)))[1:] == (unread.pk, None, None)


def test_a_reader_sees_only_their_own_gold(mixed, annotator, reviewer):
    statements = Statement.objects.filter(readout=mixed).order_by("number")
    seen = {item[0]["statement"]: item[2] is not None for item in records.read(statements, reader=annotator)}
    everything = {item[0]["statement"]: item[2] is not None for item in records.read(statements, reader=reviewer)}
    own = set(Annotation.objects.filter(gold=True, annotator=annotator).values_list("statement__number", flat=True))
    assert {n for n, shown in seen.items() if shown} == own
    assert {n for n, shown in everything.items() if shown} == {1, 5, 9, 10}
    hidden = next(r for r, *_ in records.read(statements.filter(number=5), reader=annotator))
    assert (hidden["annotator"], hidden["speaker"], hidden["gold"], hidden["stances"]) == (None, None, False, [])


def test_queries_per_batch_do_not_grow_with_the_rows(mixed):
    """One query walks the rows; each batch adds one for its stances, whatever its size."""
    annotations = Annotation.objects.filter(statement__readout=mixed).order_by("pk")
    for batch, batches in ((5, 4), (19, 1), (1000, 1)):
        with CaptureQueriesContext(connection) as queries:
            assert len(list(records.read(annotations, batch=batch))) == 19
        assert len(queries) == 1 + batches, batch


def test_export_walks_statements_in_batches_in_queries_that_do_not_grow(mixed, monkeypatch):
    """``export_records(all=True)``: one query walks the read statements, then per batch one for
    its annotations and one for their stances, and one per kind of name (speakers, annotators,
    targets) only when the batch names one not fetched before: each name is fetched once, and
    more rows with the same names cost no more queries."""
    name_tables = ("readout_annotations_speaker", "auth_user", "readout_annotations_target")

    def export(size):
        monkeypatch.setattr(records, "BATCH", size)
        with CaptureQueriesContext(connection) as queries:
            every = list(records.export_records(all=True))
        sql = [query["sql"] for query in queries]
        names = {table: [q for q in sql if f'FROM "{table}"' in q or f"FROM `{table}`" in q] for table in name_tables}
        return every, sql, names

    fetched = {}
    for size in (2, 5):
        every, sql, names = export(size)
        batches = -(-10 // size)  # ten statements are read
        assert len(every) == 19
        assert len(sql) == 1 + 2 * batches + sum(len(found) for found in names.values())
        # one speaker (xi), three annotators, two targets: each fetched in the first batch naming it
        assert all(1 <= len(found) <= batches for found in names.values())
        fetched[size] = (len(sql), {table: len(found) for table, found in names.items()})
    for statement in Statement.objects.filter(readout=mixed, number__lte=10):
        Annotation.objects.create(statement=statement, origin="machine", machine_name="rules", attribution="narration")
    for size in (2, 5):
        more, sql, names = export(size)
        assert len(more) == 29
        assert (len(sql), {table: len(found) for table, found in names.items()}) == fetched[size]


def test_the_export_walk_builds_the_records_read_builds(mixed):
    """The export walk (``all_records``: no joins, names by key) and ``read`` (joined rows) reach
    ``records._record`` by two routes: both must give the same records and ids."""
    annotations = Annotation.objects.filter(statement__readout=mixed).order_by("statement__number", "pk")
    walked = list(records.all_records(annotations, annotation_ids=True))
    read = list(records.read(annotations))
    assert walked == [record for record, *_ in read]
    assert [record.annotation_id for record in walked] == [annotation_id for _r, _s, annotation_id, _v in read]
    assert all(type(record) is dict for record in records.all_records(annotations))
