"""API filtering through django-filter: every bad parameter is a 400 naming it (all at once, and
nothing is read); the blind rules hold; the schema documents each parameter."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readout_annotations.api.filters import AnnotationFilter, StatementFilter

from .test_api import READOUT, annotate, client_for, create_catalogue, make_gold, statement_of


@pytest.fixture
def catalogue(db) -> dict:
    return create_catalogue()


@pytest.fixture
def readout(small_readout, catalogue):
    return small_readout


@pytest.mark.django_db
def test_every_bad_parameter_is_a_400_by_field_at_once(readout, reviewer):
    client = client_for(reviewer)
    response = client.get(
        "/api/statements/?readout=50%25off&paragraph=0&speaker=nobody&stance=maybe&has_gold=yes&annotated_by=you"
    )
    assert response.status_code == 400
    assert response.json() == {
        "readout": ["No readout has the slug '50%off'."],
        "paragraph": ["Give a whole number from 1."],
        "speaker": ["No speaker has the slug 'nobody'."],
        "stance": ["'maybe' is not one of favor, against, none."],
        "has_gold": ["'yes' is not one of true, false."],
        "annotated_by": ["'you' is not one of me."],
    }
    response = client.get("/api/annotations/?statement=2&origin=alien&gold=")
    assert response.status_code == 400
    assert response.json() == {
        "statement": ["Give the readout too: statement numbers count within a readout."],
        "origin": ["'alien' is not one of human, machine, import."],
        "gold": ["'' is not one of true, false."],
    }
    response = client.get("/api/annotations/?statement=2&readout=")
    assert response.json() == {"readout": ["No readout has the slug ''."]}


@pytest.mark.django_db
def test_a_bad_parameter_reads_no_statement(readout, reviewer):
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/statements/?paragraph=x").status_code == 400
    assert not [q for q in queries.captured_queries if "readout_annotations_statement" in q["sql"]]


@pytest.mark.django_db
def test_gold_filters_see_only_the_gold_the_user_may_see(readout, annotator, other_annotator, reviewer, catalogue):
    theirs = make_gold(annotate(statement_of(readout, 2), other_annotator, speaker=catalogue["xi"]))
    mine = make_gold(
        annotate(statement_of(readout, 3), annotator, speaker=catalogue["xi"], stances=[(catalogue["bri"], "favor")])
    )
    annotate(statement_of(readout, 4), annotator, stances=[(catalogue["bri"], "against")])  # not gold

    def numbers(user, query):
        response = client_for(user).get(f"/api/statements/?readout={READOUT}&{query}")
        assert response.status_code == 200, response.json()
        return [row["statement"] for row in response.json()["results"]]

    assert numbers(reviewer, "speaker=xi-jinping") == [theirs.statement.number, mine.statement.number]
    assert numbers(annotator, "speaker=xi-jinping") == [3]
    assert numbers(annotator, "has_gold=true") == [3]
    assert numbers(annotator, "has_gold=false") == [1, 2, 4]
    assert numbers(annotator, "target=belt-and-road&stance=favor") == [3]
    assert numbers(annotator, "target=belt-and-road&stance=against") == []  # one stance, both conditions
    assert numbers(annotator, "annotated_by=me") == [3, 4]
    assert numbers(annotator, "unannotated_by=me") == [1, 2]
    assert numbers(other_annotator, "attribution=explicit") == [2]


@pytest.mark.django_db
def test_the_schema_documents_every_filter(reviewer):
    schema = json.loads(client_for(reviewer).get("/api/schema/?format=json").content)
    for path, filterset in (("/api/statements/", StatementFilter), ("/api/annotations/", AnnotationFilter)):
        parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
        for name in filterset.base_filters:
            assert parameters[name]["in"] == "query"
            assert parameters[name]["description"], name
    statements = {p["name"]: p for p in schema["paths"]["/api/statements/"]["get"]["parameters"]}
    assert sorted(statements["stance"]["schema"]["enum"]) == ["against", "favor", "none"]
    assert sorted(statements["has_gold"]["schema"]["enum"]) == ["false", "true"]
    assert statements["paragraph"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    assert statements["readout"]["schema"]["pattern"] == "^[-a-zA-Z0-9_]{1,120}$"
