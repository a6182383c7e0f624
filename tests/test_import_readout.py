"""``manage.py import_readout``: readout files in, statements and machine proposals out."""

import datetime
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from readout_annotations.attribution import MACHINE_NAME
from readout_annotations.models import Annotation, Readout, Speaker, Statement

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "seeds" / "xi-lukashenko-talks-2023-03-01.txt"
SEED_SLUG = "xi-lukashenko-talks-2023-03-01"

GOOD = "A short readout\n2023-03-02 09:42\n\nXi\u00a0said that ties are good. China agrees.\n\nThe talks ended.\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*args, stderr=None) -> str:
    out = io.StringIO()
    call_command("import_readout", *map(str, args), stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


@pytest.fixture
def speakers(db):
    Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi", "President Xi"])
    Speaker.objects.create(slug="alexander-lukashenko", name="Alexander Lukashenko", aliases=["Lukashenko"])


def test_seed_file_gives_statements_and_proposals(speakers, tmp_path):
    path = shutil.copy(SEED, tmp_path)
    output = run(path)
    readout = Readout.objects.get()
    assert readout.slug == SEED_SLUG
    assert readout.title == "Xi held talks with Belarusian President Lukashenko"
    assert readout.published_at == datetime.datetime(2023, 3, 2, 1, 42, tzinfo=datetime.timezone.utc)
    assert readout.text.startswith("On March 1, Chinese President Xi\u00a0held talks")
    assert readout.text.endswith("Wang Yi and He Lifeng attended the above activities.")
    assert readout.statements.count() == 34
    proposals = Annotation.objects.filter(statement__readout=readout)
    assert proposals.count() == 34
    assert set(proposals.values_list("origin", "machine_name", "gold")) == {("machine", MACHINE_NAME, False)}
    assert proposals.filter(annotator__isnull=False).count() == 0
    assert f"created {SEED_SLUG} (34 statements, 34 proposals)" in output
    assert "1 of 1 files imported (1 created, 0 replaced, 0 unchanged): 34 statements, 34 proposals in " in output


def test_same_text_as_the_fixture(db, tmp_path):
    call_command("loaddata", SEED_SLUG, verbosity=0)
    fixture = Readout.objects.get(slug=SEED_SLUG)
    output = run(shutil.copy(SEED, tmp_path))
    assert "unchanged" in output  # the same title, timestamp and text: nothing to do
    assert Annotation.objects.filter(origin="machine").count() == 0
    assert Readout.objects.get().checksum == fixture.checksum


def test_identical_file_again_does_nothing(speakers, tmp_path, django_assert_max_num_queries):
    path = write(tmp_path, "short.txt", GOOD)
    run(path)
    before = list(Annotation.objects.values_list("pk", "version"))
    with django_assert_max_num_queries(3):
        output = run(path)
    assert f"{path}: unchanged short (same file, nothing to do)" in output
    assert list(Annotation.objects.values_list("pk", "version")) == before


def test_changed_file_is_refused_without_replace(speakers, tmp_path):
    path = write(tmp_path, "short.txt", GOOD)
    run(path)
    write(tmp_path, "short.txt", GOOD.replace("The talks ended.", "The talks ended early."))
    with pytest.raises(CommandError, match=r"short\.txt: readout 'short' exists with a different .*--replace"):
        run(path)
    assert Readout.objects.get().text.endswith("The talks ended.")


def test_replace_while_only_machines_have_read_it(speakers, tmp_path):
    path = write(tmp_path, "short.txt", GOOD)
    run(path)
    Readout.objects.filter(slug="short").update(publisher="MFA", notes="kept")
    write(tmp_path, "short.txt", GOOD.replace("The talks ended.", "The talks ended. Both left."))
    output = run(path, "--replace")
    readout = Readout.objects.get()
    assert "replaced short (4 statements, 4 proposals)" in output
    assert (readout.publisher, readout.notes) == ("MFA", "kept")
    assert readout.text.endswith("Both left.")
    assert Statement.objects.count() == 4
    assert Annotation.objects.count() == 4


def test_replace_is_refused_once_a_person_has_annotated(speakers, tmp_path, annotator):
    path = write(tmp_path, "short.txt", GOOD)
    run(path)
    Annotation.objects.create(statement=Statement.objects.first(), annotator=annotator, attribution="narration")
    write(tmp_path, "short.txt", GOOD.replace("ended", "closed"))
    with pytest.raises(CommandError, match=r"has 1 annotations by people; it cannot be replaced"):
        run(path, "--replace")
    assert Readout.objects.get().text == GOOD.split("\n", 2)[2].strip()
    assert Annotation.objects.count() == 4  # three proposals and the person's reading


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "file is empty"),
        (b"   \n\n", "file is empty"),
        (b"\nTitle on line 2\n2023-03-02 09:42\n\nBody.", "line 1: title is empty"),
        (b"Only a title", "line 2: timestamp missing"),
        (b"Title\nMarch 2, 2023\n\nBody.", "line 2: timestamp must be 'YYYY-MM-DD HH:MM', found 'March 2, 2023'"),
        (b"Title\n2023-02-30 09:42\n\nBody.", "line 2: timestamp '2023-02-30 09:42' is not a valid date"),
        (b"Title\n2023-03-02 09:42\n\n", "line 3: body is missing"),
        (b"Title\n2023-03-02 09:42\n\nCaf\xe9 au lait.", "line 4: not valid UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "line 3: binary file"),
        (("T" * 501 + "\n2023-03-02 09:42\n\nBody.").encode(), "line 1: title is longer than 500 characters"),
    ],
)
def test_bad_files_name_file_and_line_and_write_nothing(db, tmp_path, content, message):
    path = write(tmp_path, "bad.txt", content)
    with pytest.raises(CommandError) as caught:
        run(path)
    assert str(caught.value).startswith(f"{path}: {message}")
    assert Readout.objects.count() == Statement.objects.count() == Annotation.objects.count() == 0


def test_directory_missing_file_and_size_limit(db, tmp_path):
    with pytest.raises(CommandError, match=rf"^{tmp_path}: is a directory, not a readout file$"):
        run(tmp_path)
    with pytest.raises(CommandError, match=r"nope\.txt: cannot read: No such file or directory"):
        run(tmp_path / "nope.txt")
    path = write(tmp_path, "big.txt", GOOD)
    size = len(GOOD.encode())
    with (
        override_settings(READOUT_ANNOTATIONS_MAX_IMPORT_BYTES=size - 1),
        pytest.raises(CommandError, match=rf"big\.txt: file is {size} bytes, over the limit of {size - 1} bytes"),
    ):
        run(path)
    with override_settings(READOUT_ANNOTATIONS_MAX_IMPORT_BYTES=size):
        run(path)
    assert Readout.objects.get().slug == "big"


def test_keep_going_imports_the_good_files_and_lists_the_bad(speakers, tmp_path):
    first = write(tmp_path, "first.txt", GOOD)
    bad = write(tmp_path, "second.txt", b"Title\n2023-3-2 9:42\n\nBody.")
    third = write(tmp_path, "third.txt", GOOD)
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_readout", first, bad, tmp_path, third, "--keep-going", stdout=io.StringIO(), stderr=err)
    assert str(caught.value) == (
        "2 of 4 files failed:\n"
        f"  {bad}: line 2: timestamp must be 'YYYY-MM-DD HH:MM', found '2023-3-2 9:42'\n"
        f"  {tmp_path}: is a directory, not a readout file"
    )
    assert sorted(Readout.objects.values_list("slug", flat=True)) == ["first", "third"]


def test_without_keep_going_the_first_bad_file_stops_the_run(speakers, tmp_path):
    first = write(tmp_path, "first.txt", GOOD)
    bad = write(tmp_path, "second.txt", b"")
    third = write(tmp_path, "third.txt", GOOD)
    with pytest.raises(CommandError, match=r"second\.txt: file is empty"):
        run(first, bad, third)
    assert list(Readout.objects.values_list("slug", flat=True)) == ["first"]


def test_progress_bar_on_a_terminal_plain_lines_otherwise(speakers, tmp_path):
    paths = [write(tmp_path, f"r{n}.txt", GOOD) for n in range(3)]
    terminal = Terminal()
    output = run(*paths, stderr=terminal)
    assert "\r[" in terminal.getvalue() and "] 3/3" in terminal.getvalue()
    assert "created r0" not in output  # the bar replaces the per-file lines
    assert output.startswith("3 of 3 files imported (3 created, 0 replaced, 0 unchanged): 9 statements")
    plain = io.StringIO()
    output = run(*paths, stderr=plain)
    assert plain.getvalue() == ""
    assert [line.split(": ", 1)[1] for line in output.splitlines()[:3]] == [
        "unchanged r0 (same file, nothing to do)"
    ] + [f"unchanged r{n} (same file, nothing to do)" for n in (1, 2)]


def test_slug_option_and_bad_slugs(speakers, tmp_path):
    path = write(tmp_path, "Some File Name.txt", GOOD)
    run(path)
    assert Readout.objects.get().slug == "some-file-name"
    run(path, "--slug", "chosen")
    assert Readout.objects.filter(slug="chosen").exists()
    with pytest.raises(CommandError, match="--slug names one readout"):
        run(path, path, "--slug", "x")
    with pytest.raises(CommandError, match="'not a slug' is not a slug"):
        run(path, "--slug", "not a slug")
    nameless = write(tmp_path, "\u6570\u636e.txt", GOOD)
    with pytest.raises(CommandError, match=r"no slug can be made from the file name; give one \(--slug\)"):
        run(nameless)


def test_time_zone_option_and_setting(speakers, tmp_path):
    path = write(tmp_path, "zoned.txt", GOOD)
    run(path, "--timezone", "UTC", "--slug", "utc")
    assert Readout.objects.get(slug="utc").published_at == datetime.datetime(
        2023, 3, 2, 9, 42, tzinfo=datetime.timezone.utc
    )
    with override_settings(READOUT_ANNOTATIONS_TIMEZONE="Europe/Minsk"):
        run(path, "--slug", "minsk")
    assert Readout.objects.get(slug="minsk").published_at == datetime.datetime(
        2023, 3, 2, 6, 42, tzinfo=datetime.timezone.utc
    )
    with pytest.raises(CommandError, match=r"zoned\.txt: unknown time zone 'Mars/Olympus'"):
        run(path, "--timezone", "Mars/Olympus")


def test_bom_crlf_and_characters_outside_the_bmp(speakers, tmp_path):
    content = "\ufeffTitle\r\n2023-03-02 09:42\r\n\r\nXi said \U0001f600 twice. Then\r\nhe left.\r\n"
    run(write(tmp_path, "emoji.txt", content))
    readout = Readout.objects.get()
    assert readout.text == "Xi said \U0001f600 twice. Then\nhe left."
    second = readout.statements.get(number=2)
    assert (second.start, second.end, second.text) == (17, 30, "Then\nhe left.")
