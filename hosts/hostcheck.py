"""Shared pieces of the host checks: PASS/FAIL reporting, a real HTTP server, an HTTP client.

Standard library only, so that it runs in any host's virtual environment. The host checks
(``startproject_check.py``, ``doccano/check.py``) import it; it is not part of the package.
"""

from __future__ import annotations

import contextlib
import html
import http.cookiejar
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path


class Abort(Exception):
    """A check that later checks depend on failed: stop here."""


class Report:
    """Prints one ``PASS name`` or ``FAIL name: why`` line per check and remembers the failures."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.passed: list[str] = []
        self.failed: list[str] = []
        self.started = time.monotonic()
        print(f"== {title}", flush=True)

    def ok(self, name: str, detail: str = "") -> None:
        self.passed.append(name)
        print(f"PASS {name}" + (f" ({detail})" if detail else ""), flush=True)

    def fail(self, name: str, why: str) -> None:
        self.failed.append(name)
        print(f"FAIL {name}: {why}", flush=True)

    def check(self, name: str, condition: bool, why: str = "", detail: str = "") -> bool:
        if condition:
            self.ok(name, detail)
        else:
            self.fail(name, why or "condition is false")
        return condition

    @contextlib.contextmanager
    def step(self, name: str, *, required: bool = False) -> Iterator[None]:
        """Run a block as one check: an exception fails it; ``required`` stops the whole run."""
        try:
            yield
        except Abort:
            raise
        except Exception as error:
            self.fail(name, f"{type(error).__name__}: {error}")
            if required:
                raise Abort(name) from error
        else:
            self.ok(name)

    def finish(self) -> int:
        seconds = time.monotonic() - self.started
        verdict = "FAIL" if self.failed else "PASS"
        print(
            f"== {verdict} {self.title}: {len(self.passed)} passed, {len(self.failed)} failed, {seconds:.1f} s",
            flush=True,
        )
        if self.failed:
            print("   failed: " + "; ".join(self.failed), flush=True)
        return 1 if self.failed else 0


def run(
    args: Sequence[str | os.PathLike],
    *,
    cwd: str | os.PathLike | None = None,
    env: dict | None = None,
    input: str | None = None,
) -> str:
    """Run a command; return its standard output; raise with its output when it fails."""
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        command = " ".join(map(str, args))
        output = result.stdout[-3000:] + result.stderr[-3000:]
        raise RuntimeError(f"{command} exited with {result.returncode}\n{output}")
    return result.stdout


_STEPS = r"""
import json, sys
import django

django.setup()
from django.core.management import call_command

for name, args in json.loads(sys.argv[1]):
    print("\n@@step " + json.dumps(name), flush=True)
    try:
        call_command(*args)
    except BaseException as error:  # CommandError, SystemCheckError, SystemExit, ...
        print("\n@@failed " + json.dumps(f"{type(error).__name__}: {error}"), flush=True)
        sys.exit(1)
"""


def manage_steps(
    report: Report,
    python: str | os.PathLike,
    steps: Sequence[tuple[str, Sequence[str]]],
    *,
    cwd: str | os.PathLike,
    env: dict,
    required: bool = True,
) -> dict[str, str]:
    """Run management commands one after another in one process, one PASS or FAIL line each.

    ``steps`` are ``(check name, [command, argument, ...])``, run as ``call_command`` runs them,
    in one start of the host's settings instead of one each (a host as heavy as Label Studio takes
    seconds to start). The first failure stops the steps, and with ``required`` the whole check
    (``Abort``). Returns the standard output of each step that passed, by check name.
    """
    result = subprocess.run(
        [str(python), "-c", _STEPS, json.dumps([[name, list(args)] for name, args in steps])],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    outputs: dict[str, str] = {}
    name, lines, failed = None, [], None
    for line in [*result.stdout.splitlines(), "@@step null"]:
        if line.startswith(("@@step ", "@@failed ")):
            if name is not None:
                outputs[name] = "\n".join(lines).strip()
            if line.startswith("@@failed "):
                failed = json.loads(line.split(" ", 1)[1])
                break
            name, lines = json.loads(line.split(" ", 1)[1]), []
        else:
            lines.append(line)
    started = list(outputs)
    finished = failed is None and result.returncode == 0 and len(started) == len(steps)
    for index, step in enumerate(started):
        if finished or index < len(started) - 1:
            report.ok(step)
        else:
            why = failed or f"exited with {result.returncode}"
            report.fail(step, f"{why}\n{outputs[step][-2000:]}\n{result.stderr[-2000:]}".strip())
    if not started:
        report.fail(steps[0][0], f"exited with {result.returncode}\n{result.stderr[-3000:]}")
    if not finished and required:
        raise Abort(failed or steps[len(started) - 1 if started else 0][0])
    if not finished and started:
        del outputs[started[-1]]
    return outputs


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A WSGI server in a child process on 127.0.0.1; its log goes to a file shown on failure."""

    def __init__(self, args: Sequence[str | os.PathLike], *, port: int, cwd, env: dict, log: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._log_file = open(log, "w")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [str(a) for a in args],
            cwd=cwd,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, path: str = "/", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                urllib.request.urlopen(self.url + path, timeout=5)
                return
            except urllib.error.HTTPError:
                return  # it answers: any status will do
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()


class Response:
    def __init__(self, status: int, headers, body: bytes, url: str) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.url = url

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def data(self):
        """The JSON body, or None when the answer is not JSON (an HTML error page, say)."""
        try:
            return self.json()
        except ValueError:
            return None

    def __repr__(self) -> str:
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>", " ", self.text)) if "html" in self.text[:200] else self.text
        return f"<{self.status} {self.url}: {text.strip()[:200]!r}>"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """An HTTP client with cookies and no automatic redirects, like a browser's first hop."""

    def __init__(self, base_url: str, *, token: str | None = None, token_keyword: str = "Token") -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)
        self.headers = {"Authorization": f"{token_keyword} {token}"} if token else {}

    def request(
        self,
        method: str,
        path: str,
        *,
        data: dict | None = None,
        json_body=None,
        headers: dict | None = None,
    ) -> Response:
        url = path if path.startswith("http") else self.base_url + path
        body = None
        all_headers = dict(self.headers)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            all_headers["Content-Type"] = "application/json"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method not in ("GET", "HEAD", "OPTIONS") and self.cookie("csrftoken"):
            all_headers.setdefault("X-CSRFToken", self.cookie("csrftoken"))
            all_headers.setdefault("Referer", url)
        all_headers.update(headers or {})
        request = urllib.request.Request(url, data=body, headers=all_headers, method=method)
        try:
            with self.opener.open(request, timeout=60) as answer:
                return Response(answer.status, answer.headers, answer.read(), url)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read(), url)

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Response:
        return self.request("POST", path, **kwargs)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def admin_login(self, username: str, password: str, *, admin: str = "/admin/") -> Response:
        """Log in through the admin's login form, with its CSRF token, as a person would."""
        page = self.get(f"{admin}login/?next={admin}")
        if page.status != 200:
            raise RuntimeError(f"the admin login page answered {page.status}")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if not match:
            raise RuntimeError("no CSRF token on the admin login page")
        answer = self.post(
            f"{admin}login/?next={admin}",
            data={
                "csrfmiddlewaretoken": match.group(1),
                "username": username,
                "password": password,
                "next": admin,
            },
        )
        if answer.status != 302:
            raise RuntimeError(f"the admin login answered {answer.status}, not a redirect: {answer.text[:500]}")
        return answer


def admin_links(page: str, prefix: str) -> list[str]:
    """The distinct links on an admin page that start with ``prefix``, without fragments."""
    links = []
    for href in re.findall(r'href="([^"]+)"', page):
        href = html.unescape(href).split("#", 1)[0]
        if href.startswith(prefix) and href not in links:
            links.append(href)
    return links


def _page_key(path: str) -> str:
    """A page and the names of its query parameters: ``?o=1`` and ``?o=2`` are the same page."""
    url = urllib.parse.urlsplit(path)
    page = re.sub(r"/\d+(?=/)", "/<id>", url.path)
    return page + "?" + "&".join(sorted(urllib.parse.parse_qs(url.query, keep_blank_values=True)))


def crawl_admin(
    report: Report,
    client: Client,
    start: str,
    prefix: str,
    *,
    label: str,
    limit: int = 60,
    skip: Sequence[str] = ("/delete/", "/history/", "logout"),
) -> int:
    """GET every kind of page of the app's admin reachable from ``start`` (same prefix, GET only):
    each must answer 200. One page per kind: ``statement/1/annotate/`` stands for every statement,
    ``?o=1`` for every ordering. Only links the admin shows to this user are followed, so a 403
    or a 500 here is a bug.
    Returns the number of pages fetched.
    """
    seen: set[str] = set()
    queue = [start]
    failures = []
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if _page_key(path) in seen or any(s in path for s in skip):
            continue
        seen.add(_page_key(path))
        answer = client.get(path)
        for _hop in range(5):  # a redirect inside the admin (to "the next statement", say) is followed
            location = answer.headers.get("Location") or ""
            if answer.status not in (301, 302, 303) or "/login/" in location:
                break
            answer = client.get(urllib.parse.urljoin(answer.url, location))
        if answer.status in (301, 302, 303) and "/login/" in (answer.headers.get("Location") or ""):
            failures.append(f"{path} -> login")
        elif answer.status != 200:
            failures.append(f"{path} -> {answer.status}")
        else:
            queue.extend(link for link in admin_links(answer.text, prefix) if _page_key(link) not in seen)
    report.check(
        f"{label}: {len(seen)} admin pages of the app answer 200",
        not failures and len(seen) > 1,
        why="; ".join(failures[:10]) or f"only {len(seen)} page(s) reachable",
    )
    return len(seen)


# --------------------------------------------------------------------------- checks both hosts run


_JOIN_ANNOTATORS = """
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from readout_annotations.models import Readout, Speaker
from readout_annotations.roles import ANNOTATORS

for value in %(values)r:
    user = get_user_model()._default_manager.get(**{%(field)r: value})
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get(name=ANNOTATORS))
print(json.dumps({
    "statements": Readout.objects.get(slug=%(slug)r).statements.count(),
    "speaker": Speaker.objects.order_by("slug").values_list("slug", flat=True).first(),
}))
"""


def join_annotators(field: str, values: Sequence[str], readout: str) -> str:
    """Code for ``manage.py shell -c``: the host's users whose ``field`` (``username``, ``email``) is
    one of ``values`` join our annotators group and become staff (for the admin). It prints, as its
    last line, the JSON the API checks need: ``{"statements": <readout's count>, "speaker": <a slug>}``.
    """
    return _JOIN_ANNOTATORS % {"values": tuple(values), "field": field, "slug": readout}


def results(body) -> list:
    """The rows of a list answer, paginated (``{"results": [...]}``) or not; [] for anything else."""
    if isinstance(body, dict):
        body = body.get("results")
    return body if isinstance(body, list) else []


def check_admin(report: Report, base_url: str, username: str, password: str, *, admin: str = "/admin/") -> Client:
    """An annotator logs in through the admin form and every page of our app it links to answers 200."""
    app = f"{admin}readout_annotations/"
    anonymous = Client(base_url)
    answer = anonymous.get(f"{app}readout/")
    report.check(
        "admin: anonymous is sent to the login page",
        answer.status == 302 and "login" in (answer.headers.get("Location") or ""),
        why=repr(answer),
    )
    client = Client(base_url)
    with report.step(f"admin: {username} logs in through the login form (CSRF)", required=True):
        client.admin_login(username, password, admin=admin)
    index = client.get(admin)
    report.check(
        f"admin: index answers 200 and lists our app for {username}",
        index.status == 200 and app in index.text,
        why=repr(index),
    )
    for model in ("readout", "statement", "annotation"):
        answer = client.get(f"{app}{model}/")
        report.check(f"admin: {app}{model}/ answers 200 for {username}", answer.status == 200, why=repr(answer))
    crawl_admin(report, client, app, app, label=f"admin crawl as {username}")
    return client


def check_api(
    report: Report,
    base_url: str,
    api: str,
    *,
    token: str,
    other_token: str,
    username: str,
    readout: str,
    statement_count: int,
    speaker: str,
    token_keyword: str = "Token",
) -> dict | None:
    """Our API over HTTP with a token: reads, the page size, a write, blind annotation, the schema.

    Returns the annotation created, or None.
    """
    anonymous = Client(base_url)
    answer = anonymous.get(f"{api}readouts/")
    report.check("api: anonymous gets 401 or 403", answer.status in (401, 403), why=repr(answer))
    client = Client(base_url, token=token, token_keyword=token_keyword)
    answer = client.get(f"{api}readouts/")
    ok = answer.status == 200
    report.check(
        f"api: readouts/ lists {readout} for {username}",
        ok and readout in [r.get("slug") for r in results(answer.data())],
        why=repr(answer),
    )
    answer = client.get(f"{api}readouts/{readout}/")
    report.check(
        "api: readouts/<slug>/ answers 200 with the text",
        answer.status == 200 and bool((answer.data() or {}).get("text")),
        why=repr(answer),
    )
    for resource in ("speakers", "targets"):
        answer = client.get(f"{api}{resource}/")
        report.check(f"api: {resource}/ answers 200", answer.status == 200, why=repr(answer))
    answer = client.get(f"{api}statements/?readout={readout}&page_size=100")
    rows = results(answer.data()) if answer.status == 200 else []
    report.check(
        "api: statements/?page_size=100 gives every statement (the host's page size does not apply)",
        len(rows) == min(100, statement_count),
        why=f"{len(rows)} rows of {statement_count}: {answer!r}",
        detail=f"{len(rows)} rows",
    )
    answer = client.get(f"{api}statements/?readout={readout}")
    rows = results(answer.data()) if answer.status == 200 else []
    report.check(
        "api: statements/ without page_size uses our default page size, not the host's",
        answer.status == 200 and len(rows) == min(50, statement_count),
        why=f"{len(rows)} rows: {answer!r}",
        detail=f"{len(rows)} rows",
    )
    created = None
    body = {
        "readout": readout,
        "statement": 27,  # "Lukashenko said that Belarus fully agrees with ...": the guideline wants the cue in it
        "speaker": speaker,
        "attribution": "explicit",
        "mode": "indirect",
        "cue": "said",
        "stances": [],
    }
    answer = client.post(f"{api}annotations/", json_body=body)
    if report.check(
        f"api: {username} creates an annotation (201 with a Location)",
        answer.status == 201 and bool(answer.headers.get("Location")),
        why=repr(answer),
    ):
        created = answer.data() or {}
        report.check(
            "api: the annotation is the requesting user's",
            created.get("annotator") == username and created.get("speaker") == speaker and created.get("id"),
            why=repr(created),
        )
        detail = f"{api}annotations/{created.get('id')}/"
        mine = client.get(detail)
        report.check(
            "api: its detail answers 200 with an ETag",
            mine.status == 200 and bool(mine.headers.get("ETag")),
            why=repr(mine),
        )
        theirs = Client(base_url, token=other_token, token_keyword=token_keyword).get(detail)
        report.check(
            "api: another annotator gets 404 for it (blind annotation)", theirs.status == 404, why=repr(theirs)
        )
    answer = client.get(f"{api}schema/")
    report.check("api: schema/ answers 200", answer.status == 200 and b"openapi" in answer.body, why=repr(answer)[:300])
    return created
