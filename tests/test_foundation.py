from io import StringIO

import pytest
from django.core.management import call_command

from readout_annotations.models import Annotation, Speaker

from .conftest import make_readout


@pytest.mark.django_db
def test_create_segmented_statements_are_slices(small_readout):
    statements = list(small_readout.statements.all())
    assert [s.number for s in statements] == [1, 2, 3, 4]
    assert [s.paragraph for s in statements] == [1, 2, 2, 3]
    for statement in statements:
        assert statement.text == small_readout.text[statement.start : statement.end]


@pytest.mark.django_db
def test_export_jsonl_gold_by_default(small_readout, annotator):
    xi = Speaker.objects.create(slug="xi-jinping", name="Xi Jinping")
    first = small_readout.statements.get(number=2)
    Annotation.objects.create(statement=first, annotator=annotator, speaker=xi, attribution="explicit")
    out = StringIO()
    call_command("export_annotations", "--format", "jsonl", stdout=out, stderr=StringIO())
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # one per statement; the human reading is not gold
    assert '"speaker": null' in lines[1]


def test_make_readout_helper_is_importable():
    assert callable(make_readout)
