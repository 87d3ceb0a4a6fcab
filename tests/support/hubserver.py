"""A loopback stand-in for the Hugging Face Hub, as huggingface_hub 2.x talks to it.

Two ``ThreadingHTTPServer``s on 127.0.0.1, each on a random port:

* the Hub (``FakeHub.url``, what ``HF_ENDPOINT`` points at) answers
  ``HEAD``/``GET /{owner}/{name}/resolve/{revision}/{filename}`` and
  ``GET /api/models/{owner}/{name}[/revision/{revision}]``;
* the CDN (``FakeHub.cdn_url``) serves the bytes of LFS files, with ``Range`` support and the
  real CDN's ``Content-Disposition`` (from which huggingface_hub names its progress bar).

Like the real Hub, a small (git) file answers ``200`` with ``ETag`` = its git blob sha1,
``X-Repo-Commit`` and ``Content-Length``; an LFS file answers ``302`` to the CDN with
``X-Linked-Etag`` = its sha256 and ``X-Linked-Size``. Because the CDN is another origin,
huggingface_hub does not follow that redirect on ``HEAD`` and does not send the
``Authorization`` header to it, exactly as with the real Hub. Errors carry the
``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) and
``X-Error-Message`` headers that huggingface_hub turns into its exception types.

Faults are set per file with :meth:`FakeHub.fault`:

``"404"``        the file answers 404 ``EntryNotFound``
``"401"``        401 "Invalid credentials in Authorization header" (what a bad token gets)
``"500"``        500 on every request
``"cut-once"``   the first body request sends the headers with the full ``Content-Length``,
                 half of the body, then closes the socket; later requests (``Range``) work
``"cut-always"`` every body request stops at the middle of the file and closes the socket
``"bad-sha"``    the advertised sha256 (``X-Linked-Etag``) does not match the served bytes

:meth:`FakeHub.hold` keeps a download open: the file's body stops after a given number of bytes
until the test releases it (:class:`Hold`), so that something can happen while a download is
really in progress.

Every request to either server is recorded in :attr:`FakeHub.requests`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import socket
import threading
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from tests.support.hub_repos import (
    FAULTS,
    INVALID_TOKEN,
    LFS_SUFFIXES,
    Hold,
    HubFile,
    HubRepo,
    Request,
)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, hub: FakeHub, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hub = hub
        self.role = role


class FakeHub:
    """The fake Hub and its CDN. Use as a context manager, or call :meth:`close`."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self.tokens = set(tokens)
        self.repos: dict[str, HubRepo] = {}
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self._servers = [_Server(self, "hub"), _Server(self, "cdn")]
        self._threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            for s in self._servers
        ]
        for thread in self._threads:
            thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self._servers[1].server_address[1]}"

    def close(self) -> None:
        with self.lock:
            holds = [f.hold for r in self.repos.values() for f in r.files.values() if f.hold]
        for hold in holds:  # no handler thread stays blocked
            hold.release()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> FakeHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- repos and faults ----------------------------------------------------------------

    def add_repo(
        self,
        repo_id: str,
        files: Mapping[str, bytes | str | Path],
        *,
        commit: str | None = None,
        private: bool = False,
        lfs: Iterable[str] | None = None,
    ) -> HubRepo:
        """Serve ``files`` (bytes, or paths to read) as ``repo_id`` at ``commit`` (also ``main``).

        ``lfs`` names the files git-lfs stores; by default the usual weight suffixes.
        """
        if repo_id.count("/") != 1:
            raise ValueError(f"repo ids look like owner/name, not {repo_id!r}")
        commit = commit or secrets.token_hex(20)
        if not re.fullmatch(r"[0-9a-f]{40}", commit):
            raise ValueError(f"a commit id is 40 hex digits, not {commit!r}")
        lfs_names = set(lfs) if lfs is not None else {n for n in files if n.endswith(LFS_SUFFIXES)}
        repo = HubRepo(
            repo_id,
            commit,
            {
                name: HubFile(
                    content if isinstance(content, bytes) else Path(content).read_bytes(),
                    lfs=name in lfs_names,
                )
                for name, content in files.items()
            },
            private=private,
            branches={"main": commit},
        )
        with self.lock:
            self.repos[repo_id] = repo
        return repo

    def fault(self, repo_id: str, filename: str, kind: str | None) -> HubFile:
        """Make ``filename`` of ``repo_id`` misbehave (``None`` heals it)."""
        if kind is not None and kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: choose one of {', '.join(FAULTS)}")
        with self.lock:
            hub_file = self.repos[repo_id].files[filename]
            hub_file.fault = kind
            hub_file.body_requests = 0
        return hub_file

    def hold(self, repo_id: str, filename: str, at: int | None = None) -> Hold:
        """Hold every download of ``filename`` after ``at`` bytes (default: half of it) until
        the returned :class:`Hold` is released. A ``Range`` request from ``at`` on is not held."""
        with self.lock:
            hub_file = self.repos[repo_id].files[filename]
            if at is None:
                at = hub_file.size // 2
            if not 0 < at < hub_file.size:
                raise ValueError(f"hold a body inside it: 0 < at < {hub_file.size}, not {at}")
            hub_file.hold = Hold(at)
        return hub_file.hold

    def file(self, repo_id: str, filename: str) -> HubFile:
        return self.repos[repo_id].files[filename]

    # -- what was asked ------------------------------------------------------------------

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()

    def requests_for(self, filename: str, *, method: str | None = None) -> list[Request]:
        """Requests (to the Hub or the CDN) about a file called ``filename``."""
        with self.lock:
            seen = list(self.requests)
        return [
            r
            for r in seen
            if unquote(r.path).endswith("/" + filename) and (method is None or r.method == method)
        ]

    def _record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    # -- plumbing ----------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    @property
    def hub(self) -> FakeHub:
        return self.server.hub

    def do_HEAD(self) -> None:
        self._dispatch(body=False)

    def do_GET(self) -> None:
        self._dispatch(body=True)

    def _dispatch(self, *, body: bool) -> None:
        path = urlsplit(self.path).path
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.hub._record(Request(self.server.role, self.command, path, headers))
        if self.server.role == "cdn":
            self._cdn(path, body=body)
            return
        if path == "/api/agent-harnesses":  # huggingface_hub's telemetry asks for this once
            self._json({"standardEnvVars": [], "harnesses": {}}, body=body)
            return
        if path.startswith("/api/models/"):
            self._model_info(path.removeprefix("/api/models/"), body=body)
            return
        parts = path.lstrip("/").split("/")
        if len(parts) >= 5 and parts[2] == "resolve":
            repo_id = f"{unquote(parts[0])}/{unquote(parts[1])}"
            revision = unquote(parts[3])
            filename = unquote("/".join(parts[4:]))
            self._resolve(repo_id, revision, filename, body=body)
            return
        self._error(404, None, "Not Found", body=body)

    def _send(self, status: int, headers: Mapping[str, str], payload: bytes, *, body: bool) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body and payload:
            self.wfile.write(payload)

    def _json(self, obj: object, *, body: bool, status: int = 200) -> None:
        payload = json.dumps(obj).encode()
        self._send(status, {"Content-Type": "application/json"}, payload, body=body)

    def _error(
        self,
        status: int,
        code: str | None,
        message: str,
        *,
        body: bool,
        commit: str | None = None,
    ) -> None:
        headers = {"Content-Type": "application/json", "X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        if commit:
            headers["X-Repo-Commit"] = commit
        self._send(status, headers, json.dumps({"error": message}).encode(), body=body)

    # -- access --------------------------------------------------------------------------

    def _repo(self, repo_id: str, *, body: bool) -> HubRepo | None:
        """The repo if this request may see it; otherwise the error is already sent."""
        auth = self.headers.get("Authorization")
        if auth is not None:
            token = auth.removeprefix("Bearer ").strip()
            if not auth.startswith("Bearer ") or token not in self.hub.tokens:
                self._error(401, None, INVALID_TOKEN, body=body)
                return None
        repo = self.hub.repos.get(repo_id)
        if repo is None or (repo.private and auth is None):
            # The Hub answers the same for "no such repo" and "private, and you are anonymous".
            status = 401 if repo is not None else 404
            self._error(status, "RepoNotFound", "Repository not found", body=body)
            return None
        return repo

    # -- the Hub -------------------------------------------------------------------------

    def _model_info(self, rest: str, *, body: bool) -> None:
        repo_part, _, revision = rest.partition("/revision/")
        repo = self._repo(unquote(repo_part), body=body)
        if repo is None:
            return
        commit = repo.resolve(unquote(revision) if revision else "main")
        if commit is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", body=body)
            return
        info = {
            "_id": hashlib.md5(repo.repo_id.encode()).hexdigest()[:24],
            "id": repo.repo_id,
            "modelId": repo.repo_id,
            "author": repo.repo_id.split("/")[0],
            "sha": commit,
            "private": repo.private,
            "gated": False,
            "disabled": False,
            "tags": [],
            "siblings": [{"rfilename": name} for name in sorted(repo.files)],
        }
        self._json(info, body=body)

    def _resolve(self, repo_id: str, revision: str, filename: str, *, body: bool) -> None:
        repo = self._repo(repo_id, body=body)
        if repo is None:
            return
        commit = repo.resolve(revision)
        if commit is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", body=body)
            return
        hub_file = repo.files.get(filename)
        fault = hub_file.fault if hub_file else None
        if hub_file is None or fault == "404":
            self._error(
                404, "EntryNotFound", f"{filename} does not exist", body=body, commit=commit
            )
            return
        if fault == "401":
            self._error(401, None, INVALID_TOKEN, body=body)
            return
        if fault == "500":
            self._error(500, None, "Internal Error - We're working hard to fix this", body=body)
            return
        if hub_file.lfs:
            location = (
                f"{self.hub.cdn_url}/repos/{quote(repo_id)}/{commit}/{quote(filename)}"
                f"?X-Amz-Signature={secrets.token_hex(8)}"
            )
            pointer = HubFile(
                (
                    "version https://git-lfs.github.com/spec/v1\n"
                    f"oid sha256:{hub_file.sha256}\nsize {hub_file.size}\n"
                ).encode(),
                lfs=False,
            )
            self._send(
                302,
                {
                    "Location": location,
                    "X-Repo-Commit": commit,
                    "ETag": f'"{pointer.git_sha1}"',  # git stores the pointer
                    "X-Linked-Etag": f'"{hub_file.advertised_sha256}"',
                    "X-Linked-Size": str(hub_file.size),
                    "Content-Type": "text/plain; charset=utf-8",
                },
                f"Found. Redirecting to {location}".encode(),
                body=body,
            )
            return
        self._file_body(
            hub_file, {"X-Repo-Commit": commit, "ETag": f'"{hub_file.git_sha1}"'}, body=body
        )

    # -- the CDN -------------------------------------------------------------------------

    def _cdn(self, path: str, *, body: bool) -> None:
        parts = path.lstrip("/").split("/")
        hub_file = None
        if len(parts) >= 5 and parts[0] == "repos":
            repo = self.hub.repos.get(f"{unquote(parts[1])}/{unquote(parts[2])}")
            if repo is not None and repo.resolve(parts[3]) == parts[3]:
                hub_file = repo.files.get(unquote("/".join(parts[4:])))
        if hub_file is None:
            self._send(404, {"Content-Type": "text/plain"}, b"NoSuchKey", body=body)
            return
        name = quote(unquote(parts[-1]))
        disposition = f"inline; filename*=UTF-8''{name}; filename=\"{name}\";"
        headers = {"ETag": f'"{hub_file.sha256}"', "Content-Disposition": disposition}
        self._file_body(hub_file, headers, body=body)

    # -- bytes, ranges and cuts ----------------------------------------------------------

    def _file_body(self, hub_file: HubFile, extra: Mapping[str, str], *, body: bool) -> None:
        data = hub_file.data
        start, end = 0, len(data) - 1
        status = 200
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes", **extra}
        wanted = self.headers.get("Range")
        if wanted:
            match = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
            if match is None or int(match[1]) >= len(data):
                headers["Content-Range"] = f"bytes */{len(data)}"
                self._send(416, headers, b"", body=body)
                return
            start = int(match[1])
            end = min(int(match[2]), end) if match[2] else end
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        chunk = data[start : end + 1]
        headers["Content-Length"] = str(len(chunk))
        if not body:
            self._send(status, headers, b"", body=False)
            return
        with self.hub.lock:
            hub_file.body_requests += 1
            first = hub_file.body_requests == 1
        hold = hub_file.hold
        if hold is not None and not hold.released.is_set() and start < hold.at:
            self._send_held(status, headers, chunk, hold.at - start, hold)
            return
        cut: int | None = None
        if hub_file.fault == "cut-always":
            cut = max(0, len(data) // 2 - start)
        elif hub_file.fault == "cut-once" and first:
            cut = len(chunk) // 2
        if cut is None:
            self._send(status, headers, chunk, body=True)
            return
        # Promise the whole body, send part of it, hang up: a dropped connection mid-file.
        self._send(status, headers, chunk[:cut], body=True)
        self.wfile.flush()
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send_held(
        self, status: int, headers: Mapping[str, str], chunk: bytes, at: int, hold: Hold
    ) -> None:
        """Send ``chunk`` up to ``at``, wait for ``hold`` to be released, then the rest (a
        client that went away meanwhile is no error)."""
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(chunk[:at])
            self.wfile.flush()
            hold.reached.set()
            hold.released.wait()
            self.wfile.write(chunk[at:])
            self.wfile.flush()
        except OSError:
            self.close_connection = True
