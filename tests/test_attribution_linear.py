"""Adversarial inputs for segmentation and attribution: each run must finish in a subprocess
within a bound of CPU time that quadratic behaviour would exceed many times over (the sizes
below take 1-6 CPU seconds; quadratic paths took minutes). The bound is on the subprocess's own
CPU time, not on the wall clock, so that a busy machine does not fail a linear run; a generous
wall-clock timeout still stops a run that hangs."""

import re
import subprocess
import sys
import textwrap

import pytest

#: CPU seconds a run may take (its work, measured inside the subprocess).
CPU_LIMIT = 10
#: Wall-clock seconds before a run counts as hung, whatever the machine's load.
WALL_LIMIT = 120


def run_bounded(script: str) -> list[str]:
    """Run ``script`` (Python that prints its results, then the CPU seconds of its work, on its
    last line) in a subprocess; the printed results, after checking the CPU bound."""
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=WALL_LIMIT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": "."},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    *results, cpu = done.stdout.split()
    assert float(cpu) < CPU_LIMIT, f"{float(cpu):.1f} CPU seconds"
    return results


def test_a_2_mb_paragraph_segments():
    script = (
        "import time; from readout_annotations.text import segment; cpu = time.process_time(); "
        "assert len(segment(('Xi said ties. ' * 150000)[: 2 * 1024 * 1024])) > 1; "
        "print(time.process_time() - cpu)"
    )
    assert run_bounded(script) == []


#: Each case is a Python expression for a body. Statements of up to MAX_SENTENCE (5,000) code points
#: are analysed; a quadratic step inside one would cost ~25 million steps per statement, so the
#: sentence-sized cases repeat such statements a hundred times. Longer ones test segmentation.
CASES = {
    "periods": '"." * 20000',
    "punctuation": '"?!.,;:\\"“”«»" * 20000',
    "adverbs": '("Xi " + "also warmly once again " * 200 + "said so. ") * 100',
    "names": '("President Xi Jinping and " * 180 + "said so. ") * 100',
    "commas": '("Xi, " + "a, " * 1500 + "said so. ") * 100',
    "quotes": "('\"a, ' * 1500 + 'Xi said. ') * 100",
    "titles": '("Chinese President Prime Minister Secretary of State of the " * 70 + "Xi said. ") * 100',
    "initials": '("A. " * 1500 + "said. ") * 100',
    "long paragraph": '("Xi said that ties, he added, the two leaders agreed, are strong " * 40000)[: 2 * 1024 * 1024]',
    "sentences": '"Chinese President Xi Jinping said that ties, he added, are strong. " * 3000',
    "chinese": '("王毅表示" * 1000 + "。" + "，。！？" * 100) * 20',
    # office-holders of the gazetteer: surnames with titles, Chinese names opening sentences
    "officeholders": '("Vice President Biden and Foreign Minister Wang and President Kim and " * 60 + "said. ") * 100',
    "chinese officeholders": '"布林肯表示。默克爾表示。拜登说。" * 20000',
}

SCRIPT = textwrap.dedent(
    """
    import sys
    import datetime
    import time
    from readout_annotations import attribution, officeholders
    from readout_annotations.text import segment

    body = {expression}
    cpu = time.process_time()
    segments = segment(body)
    sentences = [attribution.Sentence(s.paragraph, s.text(body)) for s in segments]
    cast = attribution.Cast(gazetteer=officeholders.builtin(), on=datetime.date(2015, 6, 1))
    attribution.discover([s.text for s in sentences], cast)
    proposals = attribution.propose(sentences, cast)
    assert len(proposals) == len(segments) >= 1
    print(len(body), len(segments), time.process_time() - cpu)
    """
)


@pytest.mark.parametrize("name", sorted(CASES))
def test_adversarial_input_completes(name):
    size, count = map(int, run_bounded(SCRIPT.format(expression=CASES[name])))
    assert size > 0 and count >= 1


# --------------------------------------------------------------------------- whole imports


def test_an_import_makes_the_same_queries_for_20_statements_as_for_400(db):
    """Per-statement database work is batched: the queries other than the batched INSERTs are the
    same whatever the number of statements, and the INSERTs are a few batches (Django splits a
    bulk insert at the backend's limit of parameters), never one per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from readout_annotations.importing import import_readout
    from readout_annotations.models import Annotation

    others, inserts = [], []
    for number, count in enumerate((20, 20, 400)):  # the first proposes the speakers the others reuse
        body = "Chinese President Xi Jinping said that ties are strong. He added that China-U.S. ties matter. " * (
            count // 2
        )
        data = f"Talks\n2024-01-01 00:00\n\n{body}\n".encode()
        with CaptureQueriesContext(connection) as queries:
            result = import_readout(data, name=f"talks-{number}.txt")
        assert result.statements == result.proposals == count
        sql = [query["sql"] for query in queries.captured_queries]
        others.append([re.sub(r"s\d+_x\d+", "", q)[:60] for q in sql if not q.startswith("INSERT INTO")])
        inserts.append(sum(q.startswith("INSERT INTO") for q in sql))
    assert Annotation.objects.filter(speaker__isnull=False).count() == 440
    assert others[1] == others[2], others
    assert inserts[2] <= 20, inserts  # 400 statements, 400 proposals and their stances


BODY = "Xi said so. " * 4  # four statements


def test_too_many_statements_are_refused_by_every_route_and_nothing_is_written(
    db, tmp_path, settings, reviewer, client, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import CommandError, call_command

    from readout_annotations import jobs
    from readout_annotations.models import Job, Readout, Speaker, Statement, Target

    settings.READOUT_ANNOTATIONS_MAX_STATEMENTS = 3
    settings.MEDIA_ROOT = str(tmp_path / "media")
    message = "the text gives 4 statements, over the limit of 3 statements per readout"
    data = f"Talks\n2024-01-01 00:00\n\n{BODY}\n".encode()
    path = tmp_path / "talks.txt"
    path.write_bytes(data)
    with pytest.raises(CommandError, match=f"talks.txt: {message}"):
        call_command("import_readout", str(path), verbosity=0)
    client.force_login(reviewer)
    upload = SimpleUploadedFile("talks.txt", data, content_type="text/plain")
    response = client.post("/api/readouts/import/", {"file": upload})
    assert response.status_code == 400
    assert response.json() == {"file": [f"{message} (READOUT_ANNOTATIONS_MAX_STATEMENTS)"]}
    upload = SimpleUploadedFile("talks.txt", data, content_type="text/plain")
    form = client.post("/admin/readout_annotations/readout/import/", {"files": [upload], "timezone": "UTC"})
    assert form.status_code == 200
    assert f"talks.txt: {message}" in " ".join(form.context["form"].errors["files"])
    assert not Job.objects.exists()  # the form refused it: no job
    job = jobs.submit(Job.Kind.IMPORT_READOUTS, reviewer, {"timezone": "UTC", "replace": False}, [("talks.txt", data)])
    with django_capture_on_commit_callbacks(execute=True):
        jobs.execute(str(job.uuid))
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and message in job.errors[0]
    assert not Readout.objects.exists() and not Statement.objects.exists()
    assert not Speaker.objects.exists() and not Target.objects.exists()
    settings.READOUT_ANNOTATIONS_MAX_STATEMENTS = 4  # at the limit: imported
    call_command("import_readout", str(path), verbosity=0)
    assert Statement.objects.count() == 4


#: The adversarial bodies of benchmarks/attribution.py at 2 MB, imported by the command into a
#: fresh database. Each must finish in a CPU time that quadratic work would exceed; bodies of
#: more sentences than MAX_STATEMENTS must be refused for that reason.
IMPORT_SCRIPT = textwrap.dedent(
    """
    import json, sys, tempfile, time
    from pathlib import Path
    import django
    django.setup()
    from django.core.management import CommandError, call_command
    sys.path.insert(0, ".")
    from benchmarks.attribution import MOST_STATEMENTS, UNITS, body_of
    call_command("migrate", verbosity=0)
    folder = Path(tempfile.mkdtemp())
    head = "Adversarial\\n2024-01-01 00:00\\n\\n"
    results = {}
    for index, name in enumerate([*UNITS, MOST_STATEMENTS]):
        path = folder / f"{index}.txt"
        path.write_text(head + body_of(name, 2 * 1024 * 1024 - len(head)), encoding="utf-8")
        cpu = time.process_time()
        try:
            call_command("import_readout", str(path), timezone="UTC", verbosity=0)
            outcome = "imported"
        except CommandError as error:
            outcome = str(error)
        results[name] = [outcome, time.process_time() - cpu]
        path.unlink()
    print(json.dumps(results))
    """
)


def test_every_2_mb_adversarial_body_imports_end_to_end_or_is_refused_for_its_statements():
    import json

    done = subprocess.run(
        [sys.executable, "-c", IMPORT_SCRIPT],
        capture_output=True,
        text=True,
        timeout=240,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": "."},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads(done.stdout.splitlines()[-1])
    refused = {name for name, (outcome, _cpu) in results.items() if outcome != "imported"}
    assert refused == {"short sentences", "chinese"}, results
    for name in refused:
        assert "(READOUT_ANNOTATIONS_MAX_STATEMENTS)" in results[name][0]
    slow = {name: cpu for name, (_outcome, cpu) in results.items() if cpu > 20}
    assert not slow, results
