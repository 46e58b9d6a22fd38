"""A test double of Jenkins' remote access API (no Jenkins runs here), on 127.0.0.1: HTTP basic auth with a user
and API token (401 otherwise), jobs in folders (`/job/<folder>/job/<name>`), `POST .../buildWithParameters`
(form parameters; 201 with the queue item in Location; 404 for an unknown job) which records a finished build,
and `GET .../<number>/api/json` giving that build's JSON in Jenkins' shape (number, result, building,
duration, url, actions[].parameters)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

USER, TOKEN = "admin", "11aa22bb33cc"


class JenkinsDouble:
    def __init__(self, jobs: list[str]) -> None:
        self.builds: dict[str, list[dict[str, Any]]] = {job: [] for job in jobs}
        self.queue = 0
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: object) -> None:
                pass

            def do_GET(self) -> None:
                double.handle(self, "GET")

            def do_POST(self) -> None:
                double.handle(self, "POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
        if h.headers.get("Authorization") != expected:
            return self.reply(h, 401, b"<html>Authentication required</html>", {"WWW-Authenticate": 'Basic realm="Jenkins"'})
        segments = [unquote(s) for s in urlsplit(h.path).path.strip("/").split("/")]
        names, rest = [], segments
        while len(rest) >= 2 and rest[0] == "job":
            names.append(rest[1])
            rest = rest[2:]
        job = "/".join(names)
        if job not in self.builds:
            return self.reply(h, 404, b"<html>Not Found</html>")
        if method == "POST" and rest == ["buildWithParameters"]:
            params = parse_qsl(body.decode())
            self.queue += 1
            number = len(self.builds[job]) + 1
            self.builds[job].append({
                "_class": "hudson.model.FreeStyleBuild", "number": number, "result": "SUCCESS", "building": False,
                "duration": 1200, "timestamp": int(time.time() * 1000), "displayName": f"#{number}",
                "url": f"{self.url}/{'/'.join('job/' + quote(n) for n in names)}/{number}/",
                "actions": [{"_class": "hudson.model.ParametersAction",
                             "parameters": [{"name": k, "value": v} for k, v in params]}],
            })
            return self.reply(h, 201, b"", {"Location": f"{self.url}/queue/item/{self.queue}/"})
        if method == "GET" and len(rest) == 3 and rest[1:] == ["api", "json"] and rest[0].isdigit():
            number = int(rest[0])
            if not 0 < number <= len(self.builds[job]):
                return self.reply(h, 404, b"<html>Not Found</html>")
            return self.reply(h, 200, json.dumps(self.builds[job][number - 1]).encode(), {"Content-Type": "application/json"})
        return self.reply(h, 404, b"<html>Not Found</html>")

    @staticmethod
    def reply(h: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        h.send_response(status)
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)


@contextmanager
def jenkins_double(jobs: list[str]) -> Iterator[JenkinsDouble]:
    double = JenkinsDouble(jobs)
    thread = threading.Thread(target=double.httpd.serve_forever, name="jenkins-double", daemon=True)
    thread.start()
    try:
        yield double
    finally:
        double.httpd.shutdown()
        double.httpd.server_close()
