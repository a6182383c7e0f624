"""Every list endpoint costs the same number of SQL queries for a page of 10 as for a page of 100."""

from __future__ import annotations

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from readout_annotations.models import Annotation, Speaker, Stance, Target

from .conftest import make_readout
from .test_api import client_for

SENTENCES = 120


def long_text(paragraphs: int = 12, per_paragraph: int = 10) -> str:
    return "\n\n".join(
        " ".join(f"Xi said that item {p * per_paragraph + i} matters." for i in range(per_paragraph))
        for p in range(paragraphs)
    )


@pytest.fixture
def corpus(db, annotator, other_annotator, reviewer) -> dict:
    """120 statements, each with a gold reading (two stances) and a second human reading."""
    readout = make_readout("long-readout", text=long_text())
    speakers = [Speaker(slug=f"speaker-{n}", name=f"Speaker {n}") for n in range(110)]
    Speaker.objects.bulk_create(speakers)
    for speaker, member in itertools.pairwise(speakers):
        speaker.members.add(member)
    parent = Target.objects.create(slug="parent", name="Parent")
    Target.objects.bulk_create(Target(slug=f"target-{n}", name=f"Target {n}", parent=parent) for n in range(110))
    targets = list(Target.objects.exclude(pk=parent.pk).order_by("pk")[:2])
    statements = list(readout.statements.order_by("number"))
    assert len(statements) == SENTENCES
    gold = Annotation.objects.bulk_create(
        Annotation(
            statement=s,
            annotator=annotator,
            speaker=speakers[s.number % 10],
            attribution="explicit",
            gold=True,
            gold_statement=s,
        )
        for s in statements
    )
    others = Annotation.objects.bulk_create(
        Annotation(statement=s, annotator=other_annotator, attribution="inferred") for s in statements
    )
    Stance.objects.bulk_create(
        Stance(annotation=a, target=t, stance="favor") for a in [*gold, *others] for t in targets
    )
    for n in range(110):
        make_readout(f"readout-{n:03}", text="Xi spoke. Lukashenko listened.")
    return {"readout": readout}


def queries_for(client, url: str) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), response.json()


# (url, who, queries): token and user (1), the user's permissions (2: user, groups), one per slug
# in the filters, count (1), the page (1), and one per prefetched relation.
LISTS = [
    ("/api/statements/", "reviewer", 6),
    ("/api/statements/?readout=long-readout&has_gold=true&target=target-0&stance=favor", "reviewer", 8),
    ("/api/statements/?readout=long-readout&attribution=explicit&annotated_by=me", "annotator", 7),
    ("/api/annotations/", "reviewer", 6),
    ("/api/annotations/?readout=long-readout&origin=human", "annotator", 7),
    ("/api/readouts/", "annotator", 5),
    ("/api/speakers/", "annotator", 6),
    ("/api/targets/", "annotator", 5),
]


@pytest.mark.django_db
@pytest.mark.parametrize("url, who, expected", LISTS)
def test_list_queries_do_not_grow_with_the_page(corpus, request, url, who, expected):
    client = client_for(request.getfixturevalue(who))
    separator = "&" if "?" in url else "?"
    small, small_body = queries_for(client, f"{url}{separator}page_size=10")
    large, large_body = queries_for(client, f"{url}{separator}page_size=100")
    assert len(small_body["results"]) == 10
    assert len(large_body["results"]) == 100
    assert small == large == expected


@pytest.mark.django_db
def test_statement_list_with_gold_and_stances_in_at_most_10_queries(corpus, reviewer):
    count, body = queries_for(client_for(reviewer), "/api/statements/?page_size=100")
    assert count <= 10
    first = body["results"][0]
    assert first["gold"] is True
    assert len(first["stances"]) == 2
    assert first["speaker"] == "speaker-1"
