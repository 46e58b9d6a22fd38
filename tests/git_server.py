"""Real Git servers for the tests: git's own smart-HTTP backend (git-http-backend, as CGI) behind a small HTTP
server on 127.0.0.1 that asks for basic auth; over SSH, tests/sshd.py serves the same repositories."""

from __future__ import annotations

import base64
import hmac
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

BACKEND = "/usr/lib/git-core/git-http-backend"
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


class GitServer:
    def __init__(self, root: Path, username: str, password: str) -> None:
        self.root = root
        self.credentials = f"{username}:{password}"
        self.pushes = 0
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                server.requests += 1
                given = self.headers.get("Authorization", "")
                expected = "Basic " + base64.b64encode(server.credentials.encode()).decode()
                if not hmac.compare_digest(given.encode(), expected.encode()):
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                env = {
                    **os.environ,
                    **GIT_ENV,
                    "GIT_PROJECT_ROOT": str(server.root),
                    "GIT_HTTP_EXPORT_ALL": "1",
                    "PATH_INFO": parts.path,
                    "QUERY_STRING": parts.query,
                    "REQUEST_METHOD": self.command,
                    "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                    "CONTENT_LENGTH": str(len(body)),
                    "REMOTE_USER": server.credentials.split(":")[0],
                    "REMOTE_ADDR": "127.0.0.1",
                    "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                    "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                }
                if parts.path.endswith("/git-receive-pack"):
                    server.pushes += 1
                out = subprocess.run([BACKEND], input=body, env=env, capture_output=True, check=False).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                status, headers = 200, []
                for line in head.decode().split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]

    def url(self, repo: str) -> str:
        return f"http://127.0.0.1:{self.port}/{repo}.git"

    def create(self, repo: str, files: dict[str, str], *, branch: str = "main") -> Path:
        """A bare repository `repo` whose `branch` holds `files` in one commit."""
        bare = self.root / f"{repo}.git"
        git("init", "--quiet", "--bare", f"--initial-branch={branch}", str(bare))
        if files:
            self.commit(repo, files, "initial", branch=branch)
        return bare

    def commit(self, repo: str, files: dict[str, str | None], message: str, *, branch: str = "main") -> str:
        """Commit `files` (None deletes) on `branch` of `repo`, as someone pushing from a laptop would; its SHA."""
        work = self.root / f".work-{repo}"
        if not work.exists():
            git("clone", "--quiet", str(self.root / f"{repo}.git"), str(work))
        git("-C", str(work), "fetch", "--quiet", "origin")
        if git("-C", str(work), "ls-remote", "--heads", "origin", branch).strip():
            git("-C", str(work), "checkout", "--quiet", "-B", branch, f"origin/{branch}")
        else:
            git("-C", str(work), "checkout", "--quiet", "--orphan", branch)
        for name, text in files.items():
            path = work / name
            if text is None:
                git("-C", str(work), "rm", "--quiet", name)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            git("-C", str(work), "add", name)
        git("-C", str(work), "commit", "--quiet", "-m", message)
        git("-C", str(work), "push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")
        return git("-C", str(work), "rev-parse", "HEAD").strip()

    def tag(self, repo: str, name: str, commit: str) -> None:
        git("--git-dir", str(self.root / f"{repo}.git"), "tag", name, commit)

    def show(self, repo: str, path: str, ref: str = "main") -> str:
        return git("--git-dir", str(self.root / f"{repo}.git"), "show", f"{ref}:{path}")

    def files(self, repo: str, ref: str = "main") -> list[str]:
        out = git("--git-dir", str(self.root / f"{repo}.git"), "ls-tree", "-r", "--name-only", ref)
        return sorted(out.split())

    def log(self, repo: str, ref: str = "main") -> list[str]:
        """The commit messages of `ref`, newest first."""
        return git("--git-dir", str(self.root / f"{repo}.git"), "log", "--format=%s", ref).splitlines()


def git(*args: str) -> str:
    done = subprocess.run(
        ["git", *args], env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


@contextmanager
def git_server(root: Path, username: str = "alice", password: str = "s3cret-token") -> Iterator[GitServer]:
    server = GitServer(root, username, password)
    thread = threading.Thread(target=server.httpd.serve_forever, name="git-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
