"""Label Studio: a JSON array of tasks, one per statement, with the readings as annotations.

::

    [{"data": {"text": "Xi pointed out that ...", "readout": "...", "statement": 2,
               "paragraph": 2, "start": 156, "end": 368, "offset_unit": "codepoints"},
      "annotations": [{"id": 35, "annotator": "annotator1", "origin": "human", "ground_truth": true,
                       "result": [...]}],
      "predictions": [{"model_version": "machine", "result": [...]}]}]

``data.text`` is the statement; span offsets count into it, in the unit ``data.offset_unit``
names (Label Studio's browser client counts UTF-16 code units: export with ``--offsets utf16``
for text outside the Basic Multilingual Plane). Each human or imported reading is an annotation
(``id`` its id here, ``ground_truth`` marks the gold one), each machine proposal a prediction.
Label Studio drops ``annotator`` and ``origin`` on import and credits the annotation to whoever
imports it, but keeps ``id`` as ``import_id`` and exports it back. Results:

- ``labels`` (``from_name`` ``label``, ``to_name`` ``text``): ``{start, end, text, labels}``
  spans ``Speaker`` (where the statement names its speaker) and ``Cue``;
- ``textarea`` ``cue``: the cue as text (also when the statement does not show it verbatim);
- ``choices`` ``speaker`` (the speaker's slug), ``attribution`` and ``mode``;
- ``taxonomy`` ``stance``: ``[[target slug, stance], ...]``.

:func:`label_config` writes the matching labeling configuration (characters XML cannot hold
replaced, see ``base.xml_characters``). A proposal's ``model_version`` is ``name@version`` (or the
name alone), as Label Studio keeps one string for both.

Reading (:func:`read`) takes the same shape back, from our export or from Label Studio's own JSON
and JSON_MIN exports: the annotator from ``annotator``, else ``completed_by`` (an object's
``username`` or ``email``; an id resolved through the file's objects or the ``users`` map); the
cue from the ``Cue`` span, else the ``cue`` text area; ``ground_truth`` as ``gold``; Label Studio's
``import_id`` as ``exported_id`` (the reading it is a copy of, see ``importing.import_annotations``);
cancelled annotations and predictions given by id are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import TextIO

from .base import (
    CODEPOINTS,
    FormatError,
    ReadoutCache,
    speaker_and_cue_spans,
    speaker_index,
    write_chunks,
    xml_attribute,
)

#: Records come with their annotation ids (``records.Record``): the export names readings by id.
ANNOTATION_IDS = True
MEDIA_TYPE = "application/json"
EXTENSION = "labelstudio.json"


def results(record: dict, readouts: ReadoutCache, aliases) -> list[dict]:
    text = record["text"]
    found = []
    speaker_span, cue_span = speaker_and_cue_spans(record, aliases)
    for label, span in (("Speaker", speaker_span), ("Cue", cue_span)):
        if span is not None:
            start, end = readouts.text_offsets(text, *span)
            found.append(
                {
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": start, "end": end, "text": text[span[0] : span[1]], "labels": [label]},
                }
            )
    if record["cue"]:
        found.append({"from_name": "cue", "to_name": "text", "type": "textarea", "value": {"text": [record["cue"]]}})
    for name in ("speaker", "attribution", "mode"):
        if record[name]:
            found.append(
                {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [record[name]]}}
            )
    if record["stances"]:
        found.append(
            {
                "from_name": "stance",
                "to_name": "text",
                "type": "taxonomy",
                "value": {"taxonomy": [[s["target"], s["stance"]] for s in record["stances"]]},
            }
        )
    for number, result in enumerate(found, start=1):
        result["id"] = f"r{number}"
    return found


def model_version(record: dict) -> str:
    """Label Studio's one ``model_version`` string for a proposal: ``name@version`` (or the name)."""
    name, version = record.get("model_name") or "", record.get("model_version") or ""
    return f"{name}@{version}" if version else name


def model_fields(value) -> dict:
    """``model_name`` and ``model_version`` from Label Studio's ``model_version`` string."""
    name, _at, version = str(value or "").rpartition("@")
    if not _at:
        name, version = version, ""
    return {"model_name": name or None, "model_version": version or None}


def _task(group: list[dict], readouts: ReadoutCache, aliases) -> dict:
    first = group[0]
    slug = first["readout"]
    task = {
        "data": {
            "text": first["text"],
            "readout": slug,
            "statement": first["statement"],
            "paragraph": first["paragraph"],
            "start": readouts.readout_offset(slug, first["start"]),
            "end": readouts.readout_offset(slug, first["end"]),
            "offset_unit": readouts.offsets,
        },
        "annotations": [],
        "predictions": [],
    }
    for record in group:
        if record["attribution"] is None:
            continue
        if record["origin"] == "machine":
            task["predictions"].append(
                {"model_version": model_version(record), "result": results(record, readouts, aliases)}
            )
        else:
            annotation = {"id": record.annotation_id} if getattr(record, "annotation_id", None) else {}
            task["annotations"].append(
                {
                    **annotation,
                    "annotator": record["annotator"],
                    "origin": record["origin"],
                    "ground_truth": record["gold"],
                    "was_cancelled": False,
                    "result": results(record, readouts, aliases),
                }
            )
    return task


def chunks(
    records: Iterable[dict], *, offsets: str = CODEPOINTS, readouts: ReadoutCache | None = None
) -> Iterator[str]:
    readouts = readouts or ReadoutCache(offsets)
    _speakers, aliases = speaker_index()
    separator = "[\n"
    group: list[dict] = []
    for record in records:
        if group and (record["readout"], record["statement"]) != (group[0]["readout"], group[0]["statement"]):
            yield separator + json.dumps(_task(group, readouts, aliases), ensure_ascii=False)
            separator = ",\n"
            group = []
        group.append(record)
    if group:
        yield separator + json.dumps(_task(group, readouts, aliases), ensure_ascii=False)
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def write(records: Iterable[dict], stream: TextIO, **options) -> int:
    return write_chunks(chunks, records, stream, **options)


def label_config(speakers: Iterable, targets: Iterable) -> str:
    """The Label Studio labeling configuration (XML) that matches the export."""

    def choice(value: str, alias: str, inner: str = "") -> str:
        attributes = f"value={xml_attribute(value)} alias={xml_attribute(alias)}"
        return f"<Choice {attributes}>{inner}</Choice>" if inner else f"<Choice {attributes}/>"

    from ..models import Attribution, Mode, StanceValue

    stance_choices = "".join(choice(str(label), value) for value, label in StanceValue.choices)
    lines = [
        "<View>",
        '  <Labels name="label" toName="text"><Label value="Speaker"/><Label value="Cue"/></Labels>',
        '  <Text name="text" value="$text"/>',
        '  <TextArea name="cue" toName="text" maxSubmissions="1" placeholder="cue"/>',
        '  <Choices name="speaker" toName="text" choice="single" showInline="true">',
        *(f"    {choice(s.name, s.slug)}" for s in speakers),
        "  </Choices>",
        '  <Choices name="attribution" toName="text" choice="single" showInline="true">',
        *(f"    {choice(str(label), value)}" for value, label in Attribution.choices),
        "  </Choices>",
        '  <Choices name="mode" toName="text" choice="single" showInline="true">',
        *(f"    {choice(str(label), value)}" for value, label in Mode.choices),
        "  </Choices>",
        '  <Taxonomy name="stance" toName="text">',
        *(f"    {choice(t.name, t.slug, stance_choices)}" for t in targets),
        "  </Taxonomy>",
        "</View>",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- reading


def _tasks(text: str) -> Iterator[tuple[int, object]]:
    """``(line, task)`` for each element of the top-level JSON array, with the line it starts on."""
    decoder = json.JSONDecoder()
    line, counted = 1, 0

    def line_at(position: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, position)
        counted = position
        return line

    def skip(position: int) -> int:
        while position < len(text) and text[position] in " \t\r\n\ufeff":
            position += 1
        return position

    position = skip(0)
    if position >= len(text) or text[position] != "[":
        raise FormatError("Label Studio tasks must be a JSON array", line_at(min(position, len(text))))
    position = skip(position + 1)
    if position < len(text) and text[position] == "]":
        return
    while True:
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise FormatError(f"not valid JSON: {error.msg} (column {error.colno})", error.lineno) from None
        yield line_at(position), value
        position = skip(end)
        if position < len(text) and text[position] == ",":
            position = skip(position + 1)
        elif position < len(text) and text[position] == "]":
            if skip(position + 1) < len(text):
                raise FormatError("text after the end of the array", line_at(skip(position + 1)))
            return
        else:
            raise FormatError("expected ',' or ']' after a task", line_at(min(position, len(text))))


def _who(annotation: dict, users: Mapping[int, str], known: Mapping[int, dict]) -> dict:
    """Who wrote an annotation, as record fields: ``annotator`` (a username), ``annotator_email``
    (an e-mail to look up), or ``labelstudio_user`` (a Label Studio user id nobody resolved)."""
    if isinstance(annotation.get("annotator"), str):  # our export, and JSON_MIN's e-mail
        value = annotation["annotator"]
        return {"annotator_email": value} if "@" in value and "origin" not in annotation else {"annotator": value}
    completed_by = annotation.get("completed_by", annotation.get("annotator"))
    if isinstance(completed_by, bool):
        return {}
    if isinstance(completed_by, int):
        if completed_by in users:
            return {"annotator": users[completed_by]}
        completed_by = known.get(completed_by, completed_by)
    if isinstance(completed_by, dict):
        if isinstance(completed_by.get("username"), str) and completed_by["username"]:
            return {"annotator": completed_by["username"]}
        if isinstance(completed_by.get("email"), str) and completed_by["email"]:
            return {"annotator_email": completed_by["email"]}
        completed_by = completed_by.get("id")
    if isinstance(completed_by, str) and completed_by:
        return {"annotator_email": completed_by} if "@" in completed_by else {"annotator": completed_by}
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return {"labelstudio_user": completed_by}
    return {}


def _reading(task_data: dict, annotation: dict, line: int, *, machine: bool, who: dict | None = None) -> dict:
    record = {"readout": task_data.get("readout"), "statement": task_data.get("statement")}
    result = annotation.get("result") or []
    if not isinstance(result, list):
        raise FormatError("an annotation's result must be a list", line)
    record.update(speaker=None, attribution=None, mode=None, cue=None, stances=[])
    spanned = False  # a Cue span, where the text shows the cue, wins over the cue field
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise FormatError("each result must be an object with a value", line)
        name, value = item.get("from_name"), item["value"]
        if item.get("type") == "choices" and name in ("speaker", "attribution", "mode"):
            choices = value.get("choices") or []
            record[name] = choices[0] if choices else None
        elif item.get("type") == "taxonomy" and name == "stance":
            for path in value.get("taxonomy") or []:
                if not (isinstance(path, list) and len(path) == 2):
                    raise FormatError("a stance is a [target, stance] pair", line)
                record["stances"].append({"target": path[0], "stance": path[1]})
        elif item.get("type") == "labels" and "Cue" in (value.get("labels") or []):
            record["cue"] = value.get("text")
            spanned = True
        elif item.get("type") == "textarea" and name == "cue" and not spanned:
            texts = value.get("text") or []
            record["cue"] = texts[0] if texts else None
    if machine:
        if isinstance(annotation.get("model_name"), str) and annotation["model_name"]:  # name and version apart
            version = annotation.get("model_version")
            record.update(origin="machine", model_name=annotation["model_name"], model_version=version or None)
        else:
            record.update(origin="machine", **model_fields(annotation.get("model_version")))
    else:
        record.update(who or {})
        if annotation.get("origin"):
            record["origin"] = annotation["origin"]
        if isinstance(annotation.get("ground_truth"), bool):  # gold changes only when the file says so
            record["gold"] = annotation["ground_truth"]
        import_id = annotation.get("import_id")  # Label Studio's export: the id our export gave it
        if isinstance(import_id, int) and not isinstance(import_id, bool):
            record["exported_id"] = import_id
    return record


#: JSON_MIN's keys for one annotation (beside the task's data and the results by ``from_name``).
MIN_KEYS = ("annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement", "id")


def _min_results(item: dict, line: int) -> list[dict]:
    """The results of a JSON_MIN item, in the full export's shape.

    JSON_MIN writes each control by its name: a single choice or text as a string, other
    values as a list of the result values (``{"choices": [...]}``, ``{"start", "end", "text",
    "labels"}``, ``{"taxonomy": [...]}``).
    """

    def values(name: str) -> list[dict]:
        raw = item.get(name)
        if raw is None:
            return []
        raw = raw if isinstance(raw, list) else [raw]
        if not all(isinstance(value, dict) for value in raw):
            raise FormatError(f"{name} must be a string or a list of result values", line)
        return raw

    found = []
    for name in ("speaker", "attribution", "mode"):
        if isinstance(item.get(name), str):
            found.append({"from_name": name, "type": "choices", "value": {"choices": [item[name]]}})
        else:
            found += [{"from_name": name, "type": "choices", "value": v} for v in values(name)]
    if isinstance(item.get("cue"), str):
        found.append({"from_name": "cue", "type": "textarea", "value": {"text": [item["cue"]]}})
    else:
        found += [{"from_name": "cue", "type": "textarea", "value": v} for v in values("cue")]
    found += [{"from_name": "label", "type": "labels", "value": v} for v in values("label")]
    found += [{"from_name": "stance", "type": "taxonomy", "value": v} for v in values("stance")]
    return found


def read(stream: TextIO, *, users: Mapping[int, str] | None = None) -> Iterator[tuple[int, dict]]:
    """``(line number, record)`` for every annotation and prediction of every task.

    Reads our export, Label Studio's JSON export (``completed_by`` a user id or a user object;
    ``predictions`` objects, or ids, which carry nothing to import and are skipped) and its
    JSON_MIN export (one item per annotation, controls by name, ``annotator`` an id or e-mail).
    A Label Studio user id is resolved through ``users`` (id to username), else through a
    ``completed_by`` object with that id elsewhere in the file; an id left unresolved comes out
    as ``labelstudio_user``, and the import names the line.
    """
    users = dict(users or {})
    items = list(_tasks(stream.read()))
    known: dict[int, dict] = {}
    for _line, item in items:
        for annotation in (item.get("annotations") or []) if isinstance(item, dict) else []:
            completed_by = annotation.get("completed_by") if isinstance(annotation, dict) else None
            if isinstance(completed_by, dict) and isinstance(completed_by.get("id"), int):
                known[completed_by["id"]] = completed_by
    for line, item in items:
        if not isinstance(item, dict):
            raise FormatError("a task must be an object with data", line)
        if not isinstance(item.get("data"), dict):
            if "readout" in item and "statement" in item:  # JSON_MIN
                annotation = {"result": _min_results(item, line), "annotator": item.get("annotator")}
                yield line, _reading(item, annotation, line, machine=False, who=_who(annotation, users, known))
                continue
            raise FormatError("a task must be an object with data", line)
        data = item["data"]
        for key in ("annotations", "predictions"):
            if not isinstance(item.get(key) or [], list):
                raise FormatError(f"a task's {key} must be a list", line)
        for prediction in item.get("predictions") or []:
            if isinstance(prediction, int) and not isinstance(prediction, bool):
                continue  # Label Studio exports a prediction by its id alone: nothing to import
            if not isinstance(prediction, dict):
                raise FormatError("a prediction must be an object (or a Label Studio id)", line)
            yield line, _reading(data, prediction, line, machine=True)
        for annotation in item.get("annotations") or []:
            if not isinstance(annotation, dict):
                raise FormatError("an annotation must be an object", line)
            if annotation.get("was_cancelled"):
                continue
            yield line, _reading(data, annotation, line, machine=False, who=_who(annotation, users, known))
