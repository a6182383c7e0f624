"""The app's tasks, defined with Django's Tasks framework: ``django.tasks`` on Django 6 and newer,
the ``django-tasks`` backport (same API) below. This module is the one import shim.

The host's configured backend runs them (``TASKS`` setting; the alias is
``READOUT_ANNOTATIONS_TASK_BACKEND``, default ``"default"``): in the request's own process with the
immediate backend, which is the framework's default, or on a worker with the database backend
(``django-tasks-db``'s ``db_worker``), RQ (``django-tasks-rq``) or any other backend. A reusable app
should not choose a queue for its host; the Tasks framework lets the host choose.

There is one task, :func:`run_job`: every piece of long work is a :class:`~readout_annotations.models.Job`
row, and the task runs the job whose UUID it is given (a string, so that every backend can
serialise it). See :mod:`readout_annotations.jobs`.
"""

from __future__ import annotations

try:  # Django 6+
    from django.tasks import task, task_backends
    from django.tasks.backends.immediate import ImmediateBackend
except ImportError:  # Django 4.2 and 5.2: the django-tasks backport
    from django_tasks import task, task_backends
    from django_tasks.backends.immediate import ImmediateBackend

from .conf import app_settings

__all__ = ["ImmediateBackend", "backend", "run_job", "runs_in_background", "task_backends"]


def backend():
    """The Tasks backend the app's jobs are enqueued on."""
    return task_backends[app_settings.TASK_BACKEND]


def runs_in_background() -> bool:
    """Whether jobs run on a worker (any backend but the immediate one)."""
    return not isinstance(backend(), ImmediateBackend)


@task()
def run_job(job_uuid: str) -> str:
    """Run the job ``job_uuid``; returns its final status (``succeeded`` or ``failed``)."""
    from . import jobs

    return jobs.execute(job_uuid)
