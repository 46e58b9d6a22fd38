"""Ships the audit log to a SIEM: each new entry as one syslog line (RFC 5424 header) carrying an ArcSight
Common Event Format (CEF) event, over UDP datagrams or a TCP stream (one line per event, LF-terminated).

It runs beside the executor role and follows the audit table by id, from the newest entry when it starts; an
entry is passed only once it was sent, so a receiver that is down gets the backlog when it is back."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Literal

from legato.aio import wait_any
from legato.store.ports import AuditLog
from legato.store.ports.governance import AuditFilter, AuditRecord

log = logging.getLogger("legato.audit")
FACILITY_AUDIT = 13  # syslog facility "log audit"
BATCH = 500
_SEVERITY = {"READ": 1, "CREATE": 3, "UPDATE": 3, "DELETE": 5, "KILL": 5, "ROTATE_KEY": 7}


def _header(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _extension(text: str) -> str:
    return text.replace("\\", "\\\\").replace("=", "\\=").replace("\r", "\\r").replace("\n", "\\n")


def cef(record: AuditRecord, version: str) -> str:
    """The CEF event of one audit entry (no details: diffs stay in Legato, the event says where to look)."""
    e = record.entry
    fields = [("rt", str(int(e.at.timestamp() * 1000))), ("act", e.action), ("suser", e.actor),
              ("src", e.ip), ("externalId", str(record.id)), ("cs1Label", "resource"), ("cs1", e.resource),
              ("cs2Label", "resourceId"), ("cs2", e.resource_id), ("cs3Label", "namespace"), ("cs3", e.namespace),
              ("cs4Label", "tenant"), ("cs4", e.tenant), ("cs5Label", "tokenId"), ("cs5", e.token_id),
              ("cs6Label", "actorKind"), ("cs6", e.actor_kind)]
    extension = " ".join(f"{k}={_extension(v)}" for k, v in fields if v)
    name = f"{e.action} {e.resource}"
    head = ["CEF:0", "Legato", "Legato", version, f"{e.resource}.{e.action}", name, str(_SEVERITY.get(e.action, 3))]
    return "|".join(_header(h) for h in head) + "|" + extension


def syslog_line(record: AuditRecord, version: str, hostname: str) -> str:
    """An RFC 5424 syslog message (facility log audit, severity notice) carrying the CEF event."""
    stamp = record.entry.at.isoformat().replace("+00:00", "Z")
    return f"<{FACILITY_AUDIT * 8 + 5}>1 {stamp} {hostname or '-'} legato - audit - {cef(record, version)}"


class AuditShipper:
    """Sends new audit entries to `host:port` over `protocol`, every `interval_seconds`."""

    def __init__(self, store: AuditLog, host: str, port: int, *, protocol: Literal["udp", "tcp"] = "udp",
                 interval_seconds: float = 2.0, version: str = "0", hostname: str | None = None):
        self.store = store
        self.address = (host, port)
        self.protocol = protocol
        self.interval_seconds = interval_seconds
        self.version = version
        self.hostname = hostname if hostname is not None else socket.gethostname()
        self.cursor: int | None = None  # the last entry sent (None: not started)
        self._sock: socket.socket | None = None

    def start_from_now(self) -> None:
        """Ship only entries recorded from now on."""
        records, _ = self.store.audit_search(AuditFilter(), descending=True, limit=1)
        self.cursor = records[0].id if records else 0

    def ship(self) -> int:
        """Send every entry after the cursor (in batches); how many were sent. OSError when the receiver cannot
        be reached (the cursor stays on the last entry sent)."""
        if self.cursor is None:
            self.start_from_now()
        sent = 0
        while True:
            records, _ = self.store.audit_search(AuditFilter(after_id=self.cursor), descending=False, limit=BATCH)
            for record in records:
                self._send((syslog_line(record, self.version, self.hostname) + "\n").encode())
                self.cursor = record.id
                sent += 1
            if len(records) < BATCH:
                return sent

    def _send(self, data: bytes) -> None:
        if self.protocol == "udp":
            if self._sock is None:
                self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self._sock.sendto(data, self.address)
            return
        if self._sock is None:
            self._sock = socket.create_connection(self.address, timeout=10)
        try:
            self._sock.sendall(data)
        except OSError:
            self.close()
            raise

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    async def run(self, stopping: asyncio.Event) -> None:
        """Ship every `interval_seconds` until `stopping`; a receiver that is down is retried."""
        if self.cursor is None:
            await asyncio.to_thread(self.start_from_now)
        try:
            while not stopping.is_set():
                try:
                    await asyncio.to_thread(self.ship)
                except OSError as exc:
                    log.warning("cannot ship the audit log to %s:%d (%s): %s", *self.address, self.protocol, exc)
                await wait_any(asyncio.sleep(self.interval_seconds), stopping)
        finally:
            self.close()
