"""Long work off the request: exports, readout and annotation imports and the agreement report as
jobs, run by :func:`readout_annotations.tasks.run_job` on the host's Tasks backend.

A job is a :class:`~readout_annotations.models.Job` row: who asked, what (``kind`` and
``parameters``), its status (``queued`` -> ``running`` -> ``succeeded`` | ``failed``), progress
(records or files done of total), errors, timings and, when it succeeded, a result file in the
host's default storage under ``READOUT_ANNOTATIONS_JOB_STORAGE_PREFIX/<uuid>/``.

- :func:`submit` validates nothing itself (callers do, with the same rules as the synchronous
  routes), stores the uploaded files, creates the row and enqueues the task once the transaction
  commits. With the immediate backend (the framework's default) the job has run when ``submit``'s
  transaction commits, in the same process; on a worker backend it runs there.
- :func:`execute` is the task body: it claims the job (a compare-and-set from ``queued`` to
  ``running``, so a task delivered twice runs once), runs it, and records the outcome. Blind
  rules are applied for the user who asked, at run time. Each imported file is one transaction (as
  with ``import_readout``): a failed or killed job leaves no file half-written.
- A running job beats its heart (``heartbeat_at``) from a thread of its own while it works. A
  worker killed mid-job stops beating; :func:`mark_lost` (called whenever jobs are read, and by
  ``prune_readout_jobs``) turns a job silent for ``READOUT_ANNOTATIONS_JOB_HEARTBEAT_TIMEOUT``
  seconds into ``failed``, and :func:`retry` queues it again. On SQLite the heartbeat cannot be
  written while an import holds the database's write lock: keep the timeout above the longest
  import there.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, OperationalError, close_old_connections, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .conf import app_settings
from .models import ADJUDICATE_PERMISSION, Job, JobKind, JobStatus, job_file_path

logger = logging.getLogger(__name__)

VIEW_STATEMENT = "readout_annotations.view_statement"
ADD_READOUT = "readout_annotations.add_readout"
#: Records between two progress updates of an export.
PROGRESS_EVERY = 5000


class JobFailed(Exception):
    """A job's work was refused: ``errors`` are shown to its owner as they are."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors


# --------------------------------------------------------------------------- submitting


def submit(kind: str, user, parameters: dict | None = None, files: Iterable[tuple[str, bytes]] = ()) -> Job:
    """Create a job for ``user`` and enqueue it; ``files`` are ``(name, bytes)`` pairs, kept in
    the default storage until the job is pruned. Returns the job (already finished with the
    immediate backend, once the surrounding transaction commits)."""
    if kind not in JobKind.values:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, user=user, parameters=dict(parameters or {}))
    names = []
    for index, (name, data) in enumerate(files):
        stored = default_storage.save(job_file_path(job, f"inputs/{index:04d}-{_safe(name)}"), ContentFile(data))
        names.append({"name": name, "storage": stored})
    job.inputs = names
    job.save()
    _enqueue(job)
    return job


def retry(job: Job) -> Job:
    """Queue a failed job again (its imports left nothing behind, so running it again is safe)."""
    if job.status != JobStatus.FAILED:
        raise ValueError(_("Only a failed job can be run again."))
    Job.objects.filter(pk=job.pk, status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED, errors=[], progress_done=0, started_at=None, heartbeat_at=None, finished_at=None
    )
    job.refresh_from_db()
    _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    from .tasks import run_job

    def enqueue() -> None:
        result = run_job.using(backend=app_settings.TASK_BACKEND, queue_name=app_settings.TASK_QUEUE).enqueue(
            str(job.uuid)
        )
        Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:100])

    transaction.on_commit(enqueue)


def _safe(name: str) -> str:
    stem = "".join(c if c.isalnum() or c in "._-" else "-" for c in name.rsplit("/", 1)[-1])
    return stem[-100:] or "file"


# --------------------------------------------------------------------------- reading


def mark_lost(now=None) -> int:
    """Turn running jobs whose worker stopped beating into failed ones; returns how many."""
    now = now or timezone.now()
    timeout = float(app_settings.JOB_HEARTBEAT_TIMEOUT)
    lost = Job.objects.lost(now, timeout)
    if not lost.exists():  # a read: no write lock wanted while an import holds SQLite's
        return 0
    try:
        return _mark_failed(lost, now, timeout)
    except OperationalError:  # the database is locked by a writer: housekeeping waits for the next read
        return 0


def _mark_failed(lost, now, timeout: float) -> int:
    return lost.update(
        status=JobStatus.FAILED,
        finished_at=now,
        errors=[
            _(
                "The worker running this job stopped (no heartbeat for %(seconds)s seconds); "
                "nothing it imported was kept. Run it again."
            )
            % {"seconds": int(timeout)}
        ],
    )


def prune(older_than: timedelta, now=None) -> int:
    """Delete finished jobs older than ``older_than`` with their files; returns how many."""
    now = now or timezone.now()
    mark_lost(now)
    old = Job.objects.filter(status__in=(JobStatus.SUCCEEDED, JobStatus.FAILED), finished_at__lt=now - older_than)
    count = 0
    for job in old.iterator():
        delete_files(job)
        job.delete()
        count += 1
    return count


def delete_files(job: Job) -> None:
    names = [entry["storage"] for entry in job.inputs or ()]
    if job.result:
        names.append(job.result.name)
    for name in names:
        with contextlib.suppress(OSError):  # already gone
            default_storage.delete(name)


# --------------------------------------------------------------------------- running


def execute(job_uuid: str) -> str:
    """The task body: run job ``job_uuid`` once; returns its final status."""
    now = timezone.now()
    claimed = Job.objects.filter(uuid=job_uuid, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    )
    job = Job.objects.select_related("user").get(uuid=job_uuid)
    if not claimed:
        return job.status
    progress = Progress(job)
    try:
        with progress.beating():
            summary = RUNNERS[job.kind](job, progress)
    except JobFailed as failure:
        return _finish(job, JobStatus.FAILED, errors=failure.errors, progress=progress)
    except PermissionDenied as denied:
        return _finish(job, JobStatus.FAILED, errors=[str(denied)], progress=progress)
    except Exception as error:  # recorded for its owner; the traceback goes to the log
        logger.exception("readout_annotations job %s failed", job.uuid)
        return _finish(job, JobStatus.FAILED, errors=[f"{type(error).__name__}: {error}"], progress=progress)
    return _finish(job, JobStatus.SUCCEEDED, summary=summary or {}, progress=progress)


def _finish(job: Job, status: str, *, progress, errors=(), summary=None) -> str:
    """Record the outcome of this attempt, unless the job was queued again meanwhile (it was
    taken for lost and retried: the newer attempt records its own)."""
    fields = {
        "status": status,
        "finished_at": timezone.now(),
        "heartbeat_at": timezone.now(),
        "errors": list(errors),
        "progress_done": progress.done,
    }
    if summary is not None:
        fields["summary"] = summary
    if progress.total is not None:
        fields["progress_total"] = progress.total
    if job.result:
        fields["result"] = job.result.name
    Job.objects.filter(pk=job.pk, attempts=job.attempts).exclude(status=JobStatus.QUEUED).update(**fields)
    return status


class Progress:
    """Done/total counters of a running job, written by a heartbeat thread on its own database
    connection (so that progress shows while an import's transaction is open elsewhere)."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.done = 0
        self.total: int | None = None
        self._stop = threading.Event()

    def interval(self) -> float:
        return max(0.2, min(10.0, float(app_settings.JOB_HEARTBEAT_TIMEOUT) / 5))

    @contextmanager
    def beating(self) -> Iterator[None]:
        from .tasks import runs_in_background

        if not runs_in_background():  # in the request's own process: nobody is waiting on a heartbeat
            yield
            return
        thread = threading.Thread(target=self._beat, name=f"readout-job-{self.job.uuid}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            self._stop.set()
            thread.join()

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval()):
                try:
                    fields = {"heartbeat_at": timezone.now(), "progress_done": self.done}
                    if self.total is not None:
                        fields["progress_total"] = self.total
                    Job.objects.filter(pk=self.job.pk, status=JobStatus.RUNNING).update(**fields)
                except DatabaseError:  # SQLite's write lock held by the job itself: try again next beat
                    close_old_connections()
        finally:
            connections.close_all()


def _require(user, permission: str, message: str) -> None:
    if not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(message)


def run_export(job: Job, progress: Progress) -> dict:
    from . import records
    from .formats import FORMATS, ReadoutCache
    from .models import Annotation

    _require(job.user, VIEW_STATEMENT, _("Exporting needs the permission to view statements."))
    parameters = job.parameters
    module = FORMATS[parameters.get("format", "jsonl")]
    everything, slugs = bool(parameters.get("all")), list(parameters.get("readout", []))

    def counted(rows):
        for row in rows:
            progress.done += 1
            yield row

    if "annotations" in parameters:  # the admin's "export selected": those the user may still see
        selected = Annotation.objects.visible_to(job.user).filter(pk__in=parameters["annotations"])
        progress.total = selected.count()
        rows = records.all_records(selected, annotation_ids=getattr(module, "ANNOTATION_IDS", False))
    else:
        progress.total = records.export_count(all=everything, readouts=slugs, user=job.user)
        rows = records.export_records(
            all=everything, readouts=slugs, user=job.user, annotation_ids=getattr(module, "ANNOTATION_IDS", False)
        )
    with tempfile.TemporaryFile("w+b") as raw:
        stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        options = {name: True for name in ("trailer", "raw") if parameters.get(name)}
        cache = ReadoutCache(parameters.get("offsets", "codepoints"))
        count = module.write(counted(rows), stream, readouts=cache, **options)
        stream.flush()
        raw.seek(0)
        scope = "selected" if "annotations" in parameters else "all" if everything else "gold"
        job.result.save(records.export_filename(scope, module.EXTENSION), File(raw), save=False)
        stream.detach()
    progress.total = count
    return {"records": count, "format": parameters.get("format", "jsonl")}


def _read_input(entry: dict) -> bytes:
    with default_storage.open(entry["storage"], "rb") as handle:
        return handle.read()


def run_import_readouts(job: Job, progress: Progress) -> dict:
    """Each file in a transaction of its own, as ``import_readout`` does: a failed or killed job
    keeps the files before it whole and nothing of the one it was on; run again, the files already
    imported come back ``unchanged``."""
    from .importing import ReadoutImportError, import_readout

    _require(job.user, ADD_READOUT, _("Only a reviewer can import readouts."))
    parameters = job.parameters
    progress.total = len(job.inputs)
    imported = []
    for entry in job.inputs:
        try:
            result = import_readout(
                _read_input(entry),
                name=entry["name"],
                slug=parameters.get("slug") or None,
                timezone=parameters.get("timezone") or None,
                replace=bool(parameters.get("replace")),
            )
        except ReadoutImportError as error:
            done = ", ".join(item["file"] for item in imported)
            raise JobFailed(
                [str(error)] + ([_("Imported before it: %(files)s.") % {"files": done}] if done else [])
            ) from None
        imported.append(
            {
                "file": entry["name"],
                "slug": result.readout.slug,
                "status": result.status,
                "statements": result.statements,
                "proposals": result.proposals,
            }
        )
        progress.done += 1
    return {"readouts": imported}


def run_import_annotations(job: Job, progress: Progress) -> dict:
    from .formats import FORMATS, FormatError
    from .importing import AnnotationImportError, import_annotations

    _require(job.user, ADJUDICATE_PERMISSION, _("Only a reviewer can import annotations."))
    parameters = job.parameters
    (entry,) = job.inputs
    progress.total = 1
    try:
        text = _read_input(entry).decode("utf-8-sig")
        result = import_annotations(
            FORMATS[parameters.get("format", "jsonl")].read(io.StringIO(text)),
            create_users=bool(parameters.get("create_users")),
            reviewer=job.user,  # gold set by the file is recorded as adjudicated by who asked
        )
    except UnicodeDecodeError as error:
        message = _("%(file)s: not valid UTF-8 (byte %(byte)s).") % {"file": entry["name"], "byte": error.start}
        raise JobFailed([message]) from None
    except FormatError as error:
        raise JobFailed([f"{entry['name']}: {error}"]) from None
    except AnnotationImportError as error:
        raise JobFailed(error.errors) from None
    progress.done = 1
    return {
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
        "users_created": result.users_created,
        "not_imported": result.not_imported,
    }


def run_agreement(job: Job, progress: Progress) -> dict:
    from . import reliability
    from .models import Readout

    _require(job.user, ADJUDICATE_PERMISSION, _("Only a reviewer can see agreement."))
    slugs = list(job.parameters.get("readout", []))
    readouts = Readout.objects.filter(slug__in=slugs) if slugs else None
    limit = int(job.parameters.get("limit", reliability.DISAGREEMENT_LIMIT))
    report = reliability.agreement_report(readouts, limit=limit)
    data = json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode()
    job.result.save("agreement.json", ContentFile(data), save=False)
    progress.done = progress.total = 1
    return {"readouts": len(report.as_dict().get("readouts", []))}


RUNNERS = {
    JobKind.EXPORT: run_export,
    JobKind.IMPORT_READOUTS: run_import_readouts,
    JobKind.IMPORT_ANNOTATIONS: run_import_annotations,
    JobKind.AGREEMENT: run_agreement,
}
