"""The demo's second readout, read by annotator1 and annotator2 with some disagreements and no gold
(fixtures/demo/*.readings.json), so that a reviewer sees compare -> accept -> agreement at once.

Idempotent: speakers and targets are created once, the readout imported once (with its machine
proposals), and the two readings saved through the app's write service (``annotating.save``), so
the guideline's checks apply to them as to any reading. Run after demo_users.py.
"""

import json
import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, for tests.settings
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
django.setup()  # (a no-op when a test imports this module)

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402

from readout_annotations import annotating, proposers  # noqa: E402
from readout_annotations.importing import import_path  # noqa: E402
from readout_annotations.models import Origin, Readout, Speaker, Target  # noqa: E402

DEMO = ROOT / "fixtures" / "demo"


def load(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    with transaction.atomic():
        for fields in data["speakers"]:
            fields = dict(fields)
            members = fields.pop("members", [])
            speaker, _ = Speaker.objects.get_or_create(slug=fields.pop("slug"), defaults=fields)
            if members:
                speaker.members.set(Speaker.objects.filter(slug__in=members))
        for fields in data["targets"]:
            fields = dict(fields)
            parent = fields.pop("parent")
            fields["parent"] = Target.objects.get(slug=parent) if parent else None
            Target.objects.get_or_create(slug=fields.pop("slug"), defaults=fields)
    source = data["readout"]
    if not Readout.objects.filter(slug=source["slug"]).exists():
        result = import_path(DEMO / source["file"], slug=source["slug"], timezone=source["timezone"])
        Readout.objects.filter(pk=result.readout.pk).update(publisher=source.get("publisher", ""))
    readout = Readout.objects.get(slug=source["slug"])
    statements = list(readout.statements.order_by("number"))
    users = get_user_model().objects.in_bulk(list(data["readings"]), field_name="username")
    for username, readings in data["readings"].items():
        user = users[username]
        for reading in readings:
            (statement,) = [s for s in statements if reading["find"] in s.text]
            record = {key: value for key, value in reading.items() if key != "find"}
            annotating.save(user, {**record, "readout": readout.slug, "statement": statement.number})
    print(f"Demo: {readout.title!r} ({readout.slug}), read by {', '.join(data['readings'])}, no gold yet.")


def propose_where_missing() -> None:
    """Machine proposals for readouts loaded from a fixture (the seed has gold but no proposals),
    so that the annotation form opens prefilled on every readout of the demo."""
    for readout in Readout.objects.exclude(statements__annotations__origin=Origin.MACHINE).distinct():
        count = proposers.create_proposals(readout)
        print(f"Demo: {count} machine proposals for {readout.slug}.")


if __name__ == "__main__":
    for readings in sorted(DEMO.glob("*.readings.json")):
        load(readings)
    propose_where_missing()
