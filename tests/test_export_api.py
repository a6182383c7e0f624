"""``GET /api/export/?format=F&offsets=U&all=1&readout=SLUG``: streamed, and only what the user may see."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from readout_annotations.models import Annotation, Speaker, Stance, Target

from .conftest import make_readout

URL = "/api/export/"


def body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def records(response) -> list[dict]:
    return [json.loads(line) for line in body(response).splitlines()]


@pytest.fixture
def corpus(small_readout, annotator, other_annotator, reviewer):
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    second, third = small_readout.statements.get(number=2), small_readout.statements.get(number=3)
    Annotation.objects.create(statement=second, annotator=annotator, speaker=xi, attribution="explicit")
    Annotation.objects.create(statement=second, annotator=other_annotator, speaker=xi, attribution="inferred")
    Annotation.objects.create(statement=third, annotator=other_annotator, attribution="narration", gold=True)
    Annotation.objects.create(statement=third, origin="machine", attribution="continued", speaker=xi)
    return small_readout


def who(rows: list[dict]) -> list[tuple]:
    return [(r["statement"], r["annotator"], r["origin"], r["gold"]) for r in rows]


def test_url_name():
    assert reverse("readout_annotations:export") == URL


def test_needs_a_user_who_may_view_statements(client, corpus, django_user_model):
    assert client.get(URL).status_code in (401, 403)
    client.force_login(django_user_model.objects.create_user("nobody"))
    assert client.get(URL).status_code == 403


def test_reviewer_exports_everything(client, corpus, reviewer):
    client.force_login(reviewer)
    response = client.get(URL, {"all": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="readout-annotations-all.jsonl"'
    assert who(records(response)) == [
        (2, "annotator1", "human", False),
        (2, "annotator2", "human", False),
        (3, "annotator2", "human", True),
        (3, None, "machine", False),
    ]


def test_annotator_exports_only_own_readings(client, corpus, annotator, other_annotator):
    """Blind annotation: another annotator's reading stays hidden even once it is gold."""
    client.force_login(annotator)
    assert who(records(client.get(URL, {"all": "1"}))) == [(2, "annotator1", "human", False)]
    gold = records(client.get(URL))
    assert [(r["statement"], r["gold"], r["annotator"]) for r in gold] == [
        (1, False, None),
        (2, False, None),
        (3, False, None),
        (4, False, None),
    ]
    client.force_login(other_annotator)
    assert who(records(client.get(URL, {"all": "true"}))) == [
        (2, "annotator2", "human", False),
        (3, "annotator2", "human", True),
    ]


def test_formats_offsets_and_readouts(client, corpus, reviewer):
    make_readout("another-readout", text="Emoji \U0001f600 here. Then more.")
    client.force_login(reviewer)
    response = client.get(URL, {"format": "csv", "all": "1", "readout": "small-readout"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="readout-annotations-all.csv"'
    rows = list(csv.DictReader(io.StringIO(body(response))))
    assert [r["statement"] for r in rows] == ["2", "2", "3", "3"]
    response = client.get(URL, {"format": "w3c", "readout": "another-readout", "offsets": "utf16"})
    assert response["Content-Type"] == 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"; charset=utf-8'
    annotations = json.loads(body(response))
    assert [a["target"]["selector"][1]["start"] for a in annotations] == [0, 15]  # 14 code points
    both = records(client.get(URL + "?readout=small-readout&readout=another-readout"))
    assert {r["readout"] for r in both} == {"small-readout", "another-readout"}
    for name in ("dna", "doccano", "labelstudio"):
        response = client.get(URL, {"format": name})
        assert response.status_code == 200
        assert body(response)


def test_bad_parameters_are_400_in_json(client, corpus, reviewer):
    client.force_login(reviewer)
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 400
    assert list(response.json()) == ["format"]
    response = client.get(URL, {"offsets": "bytes"})
    assert response.status_code == 400 and list(response.json()) == ["offsets"]
    response = client.get(URL, {"readout": "nope"})
    assert response.status_code == 400
    assert response.json() == {"readout": ["No readout has the slug 'nope'."]}


@pytest.mark.parametrize("format", ["jsonl", "labelstudio"])
def test_queries_do_not_grow_with_the_rows(client, reviewer, annotator, format):
    speaker = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping", aliases=["Xi"])
    target = Target.objects.create(slug="bri", name="Belt and Road Initiative")
    for slug, sentences in (("few", 10), ("many", 100)):
        readout = make_readout(slug, text=" ".join(f"Xi said that point {n} holds." for n in range(sentences)))
        for statement in readout.statements.all():
            reading = Annotation.objects.create(
                statement=statement, annotator=annotator, speaker=speaker, attribution="explicit"
            )
            Stance.objects.create(annotation=reading, target=target, stance="favor")
    client.force_login(reviewer)

    def queries(slug: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert "point 9 holds" in body(client.get(URL, {"format": format, "all": "1", "readout": slug}))
        return len(captured)

    assert queries("few") == queries("many")


@pytest.mark.slow
def test_schema_conformance_of_import_and_export(live_server, transactional_db, small_readout, annotator, reviewer):
    """schemathesis against the two operations (valid and invalid requests, reviewer and annotator):
    no 5xx, and every response as the schema describes it."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from rest_framework.authtoken.models import Token
    from schemathesis import GenerationMode
    from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

    tokens = [Token.objects.create(user=user).key for user in (reviewer, annotator)]
    schema = schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", headers={"Authorization": f"Token {tokens[0]}"}
    )
    schema.config.update(base_url=live_server.url)
    operations = [
        result.ok() for result in schema.include(path_regex=r"^/api/(readouts/import|export)/$").get_all_operations()
    ]
    assert sorted(operation.label for operation in operations) == [
        "GET /api/export/",
        "POST /api/export/",
        "POST /api/readouts/import/",
    ]
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                for token in tokens:
                    case.call_and_validate(
                        headers={"Authorization": f"Token {token}"},
                        excluded_checks=[ignored_auth, positive_data_acceptance],
                    )

            try:
                run()
            except Exception as error:  # collected, so one run reports every failing operation
                failures.append(f"{operation.label} ({mode.value}):\n{error}")
    assert not failures, "\n\n".join(failures)
