"""``manage.py export_annotations --format jsonl``: gold by default, ``--all``, ``--readout``, ``--output``."""

import json
import os
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from readout_annotations.models import Annotation, Speaker
from readout_annotations.records import RECORD_FIELDS

from .conftest import make_readout


def export(*args: str) -> tuple[list[dict], str]:
    out, err = StringIO(), StringIO()
    call_command("export_annotations", "--format", "jsonl", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


@pytest.fixture
def corpus(small_readout, annotator, other_annotator, reviewer):
    """Two readouts; statement 2 of the small one has two human readings (one gold) and a machine proposal."""
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping")
    second = small_readout.statements.get(number=2)
    Annotation.objects.create(statement=second, annotator=annotator, speaker=xi, attribution="explicit")
    Annotation.objects.create(statement=second, annotator=other_annotator, speaker=xi, attribution="inferred")
    Annotation.objects.create(statement=second, origin="machine", machine_name="rules", attribution="explicit")
    Annotation.objects.create(statement=second, annotator=reviewer, speaker=xi, attribution="explicit", gold=True)
    other = make_readout("another-readout")
    Annotation.objects.create(statement=other.statements.get(number=4), annotator=annotator, attribution="narration")
    make_readout("third-readout")
    return small_readout


def test_gold_by_default_one_record_per_statement(corpus):
    rows, err = export("--readout", "small-readout")
    assert [tuple(row) for row in rows] == [RECORD_FIELDS] * 4
    assert [row["statement"] for row in rows] == [1, 2, 3, 4]
    gold = rows[1]
    assert (gold["speaker"], gold["attribution"], gold["annotator"], gold["gold"]) == (
        "xi-jinping",
        "explicit",
        "reviewer",
        True,
    )
    for row in (rows[0], rows[2], rows[3]):
        assert (row["speaker"], row["attribution"], row["stances"], row["gold"]) == (None, None, [], False)
    assert err == "Exported 4 records to standard output.\n"


def test_every_readout_by_default(corpus):
    rows, _err = export()
    assert [(row["readout"], row["statement"]) for row in rows] == [
        (slug, number) for slug in ("another-readout", "small-readout", "third-readout") for number in (1, 2, 3, 4)
    ]
    assert sum(row["gold"] for row in rows) == 1


def test_all_exports_every_annotation(corpus):
    rows, err = export("--all")
    assert [(row["readout"], row["statement"], row["origin"], row["annotator"], row["gold"]) for row in rows] == [
        ("another-readout", 4, "human", "annotator1", False),
        ("small-readout", 2, "human", "annotator1", False),
        ("small-readout", 2, "human", "annotator2", False),
        ("small-readout", 2, "machine", None, False),
        ("small-readout", 2, "human", "reviewer", True),
    ]
    assert err == "Exported 5 records to standard output.\n"


def test_readout_is_repeatable(corpus):
    rows, _err = export("--readout", "third-readout", "--readout", "small-readout")
    assert sorted({row["readout"] for row in rows}) == ["small-readout", "third-readout"]
    assert len(rows) == 8
    rows, _err = export("--all", "--readout", "another-readout")
    assert [(row["readout"], row["statement"]) for row in rows] == [("another-readout", 4)]


def test_an_unknown_readout_is_an_error(corpus):
    out = StringIO()
    # the one slug check (ReadoutQuerySet.with_slugs): every unknown slug named, in the order given
    with pytest.raises(CommandError, match=r"No readout has the slug 'zilch'\. No readout has the slug 'nope'\."):
        call_command(
            "export_annotations",
            "--readout",
            "small-readout",
            "--readout",
            "zilch",
            "--readout",
            "nope",
            stdout=out,
            stderr=StringIO(),
        )
    assert out.getvalue() == ""


def test_an_unknown_format_is_an_error(db):
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        call_command("export_annotations", "--format", "xml", stdout=StringIO(), stderr=StringIO())


def test_an_empty_database_exports_nothing(db):
    rows, err = export()
    assert (rows, err) == ([], "Exported 0 records to standard output.\n")


def test_output_writes_a_file_and_leaves_no_temporary_file(corpus, tmp_path):
    target = tmp_path / "gold.jsonl"
    target.write_text("old contents\n")
    err = StringIO()
    call_command("export_annotations", "--output", str(target), stdout=StringIO(), stderr=err)
    assert os.listdir(tmp_path) == ["gold.jsonl"]
    written = target.read_text(encoding="utf-8")
    rows, _err = export()
    assert [json.loads(line) for line in written.splitlines()] == rows
    assert "\u00a0" in written  # not escaped: UTF-8 as is
    assert err.getvalue() == f"Exported 12 records to {target}.\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # as an ordinary open() would create it


def test_an_unwritable_output_is_an_error_naming_the_file(corpus, tmp_path):
    missing = tmp_path / "no-such-directory" / "gold.jsonl"
    with pytest.raises(CommandError, match=f"^{missing}: cannot write: No such file or directory$"):
        call_command("export_annotations", "--output", str(missing), stdout=StringIO(), stderr=StringIO())
    assert os.listdir(tmp_path) == []


def test_a_failed_rename_leaves_nothing_behind(corpus, tmp_path):
    directory = tmp_path / "taken"
    directory.mkdir()
    (directory / "keep.txt").write_text("keep")
    with pytest.raises(CommandError, match=f"^{directory}: cannot write: Is a directory$"):
        call_command("export_annotations", "--output", str(directory), stdout=StringIO(), stderr=StringIO())
    assert sorted(os.listdir(tmp_path)) == ["taken"]
    assert os.listdir(directory) == ["keep.txt"]


def test_a_failed_export_keeps_the_old_file(corpus, tmp_path):
    target = tmp_path / "gold.jsonl"
    target.write_text("old contents\n")
    with pytest.raises(CommandError):
        call_command(
            "export_annotations", "--readout", "nope", "--output", str(target), stdout=StringIO(), stderr=StringIO()
        )
    assert target.read_text() == "old contents\n"
    assert os.listdir(tmp_path) == ["gold.jsonl"]


def test_verbosity_zero_is_silent(corpus, tmp_path):
    err = StringIO()
    call_command(
        "export_annotations", "--output", str(tmp_path / "x.jsonl"), verbosity=0, stdout=StringIO(), stderr=err
    )
    out = StringIO()
    call_command("export_annotations", "--all", verbosity=0, stdout=out, stderr=err)
    assert err.getvalue() == ""
    assert len(out.getvalue().splitlines()) == 5
