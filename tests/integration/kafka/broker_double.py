"""Test double of a Kafka broker: speaks the documented Kafka wire protocol (https://kafka.apache.org/protocol) on
127.0.0.1 so that aiokafka's producer and consumer talk to it as to one broker. It is not Kafka: one node, topics
kept in memory, no replication, no retention, no compression, one member per consumer group.

Framing: a request is a 4-byte size, request header v1 (api_key int16, api_version int16, correlation_id int32,
client_id nullable string) and the body; a response is a 4-byte size, response header v0 (correlation_id int32)
and the body. Only non-flexible versions are advertised, so no tagged fields appear. ApiVersions advertises
exactly these versions, and the client negotiates within them:

| API (key)              | version | what the double does                                                      |
| ---                    | ---     | ---                                                                       |
| ApiVersions (18)       | 0       | lists this table                                                          |
| Metadata (3)           | 1       | this node leads every partition; an unknown topic is created (auto-create)|
| Produce (0)            | 3       | record batch v2 checked (magic 2, CRC-32C), base offset assigned         |
| Fetch (1)              | 4       | batches from the fetch offset; read_committed stops at the last stable offset; waits up to max_wait_ms |
| ListOffsets (2)        | 2       | -2 earliest, -1 latest, else the first offset whose timestamp is >= it   |
| FindCoordinator (10)   | 1       | this node, for groups (key_type 0) and transactions (key_type 1)          |
| JoinGroup (11)         | 1       | the joining member is the group's only member and leader                 |
| SyncGroup (14)         | 0       | keeps the leader's assignment and returns it                             |
| Heartbeat (12)         | 0       | checks generation and member                                              |
| LeaveGroup (13)        | 0       | empties the group                                                         |
| OffsetCommit (8)       | 2       | stores committed offsets per group                                        |
| OffsetFetch (9)        | 1       | returns them (-1 when none)                                               |
| InitProducerId (22)    | 0       | a new producer id                                                         |
| AddPartitionsToTxn (24)| 0       | opens the transaction on those partitions                                 |
| EndTxn (26)            | 0       | commit: the records become stable; abort: they are dropped (Kafka keeps them behind an abort marker; no control records are written here) |

Request => response bodies of those versions, as the protocol guide lists their fields ([x] an array: int32 count;
string: int16 length; bytes: int32 length; -1 is null):
    ApiVersions v0: () => error_code [api_key min_version max_version]
    Metadata v1: [topic] => [node_id host port rack] controller_id [error_code name is_internal
        [error_code partition leader [replica] [isr]]]
    Produce v3: transactional_id acks timeout_ms [name [partition records]]
        => [name [partition error_code base_offset log_append_time_ms]] throttle_time_ms
    Fetch v4: replica_id max_wait_ms min_bytes max_bytes isolation_level [topic [partition fetch_offset max_bytes]]
        => throttle_time_ms [topic [partition error_code high_watermark last_stable_offset
        [producer_id first_offset] records]]
    ListOffsets v2: replica_id isolation_level [topic [partition timestamp]]
        => throttle_time_ms [topic [partition error_code timestamp offset]]
    FindCoordinator v1: key key_type => throttle_time_ms error_code error_message node_id host port
    JoinGroup v1: group_id session_timeout_ms rebalance_timeout_ms member_id protocol_type [name metadata]
        => error_code generation_id protocol_name leader member_id [member_id metadata]
    SyncGroup v0: group_id generation_id member_id [member_id assignment] => error_code assignment
    Heartbeat v0: group_id generation_id member_id => error_code
    LeaveGroup v0: group_id member_id => error_code
    OffsetCommit v2: group_id generation_id member_id retention_time_ms [topic [partition offset metadata]]
        => [topic [partition error_code]]
    OffsetFetch v1: group_id [topic [partition]] => [topic [partition offset metadata error_code]]
    InitProducerId v0: transactional_id transaction_timeout_ms => throttle_time_ms error_code producer_id producer_epoch
    AddPartitionsToTxn v0: transactional_id producer_id producer_epoch [topic [partition]]
        => throttle_time_ms [topic [partition error_code]]
    EndTxn v0: transactional_id producer_id producer_epoch committed => throttle_time_ms error_code

Record batch v2 (the "Record Batch" section of Kafka's documentation): baseOffset int64, batchLength int32,
partitionLeaderEpoch int32, magic int8, crc uint32 (CRC-32C of everything after it), attributes int16,
lastOffsetDelta int32, baseTimestamp int64, maxTimestamp int64, producerId int64, producerEpoch int16,
baseSequence int32, then the records (count int32; each a varint length, attributes int8, timestampDelta varlong,
offsetDelta varint, key and value as varint length + bytes, headers as a varint count of (key, value)).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NONE, CORRUPT_MESSAGE, UNKNOWN_TOPIC_OR_PARTITION, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID = 0, 2, 3, 22, 25
UNSUPPORTED_COMPRESSION_TYPE = 76


def _crc32c_table() -> list[int]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1  # Castagnoli polynomial, reflected
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Reader:
    """Kafka's primitive types, read from a request body."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def _take(self, fmt: str) -> Any:
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def int8(self) -> int:
        return int(self._take(">b"))

    def int16(self) -> int:
        return int(self._take(">h"))

    def int32(self) -> int:
        return int(self._take(">i"))

    def int64(self) -> int:
        return int(self._take(">q"))

    def bytes_(self) -> bytes | None:
        size = self.int32()
        if size < 0:
            return None
        self.pos += size
        return self.data[self.pos - size:self.pos]

    def string(self) -> str | None:
        size = self.int16()
        if size < 0:
            return None
        self.pos += size
        return self.data[self.pos - size:self.pos].decode()

    def array(self, item: Callable[[], Any]) -> list[Any] | None:
        count = self.int32()
        return None if count < 0 else [item() for _ in range(count)]

    def varint(self) -> int:
        shift = result = 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)  # zig-zag
            shift += 7

    def varbytes(self) -> bytes | None:
        size = self.varint()
        if size < 0:
            return None
        self.pos += size
        return self.data[self.pos - size:self.pos]


class Writer:
    """Kafka's primitive types, written to a response body."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def int8(self, v: int) -> Writer:
        self.parts.append(struct.pack(">b", v))
        return self

    def int16(self, v: int) -> Writer:
        self.parts.append(struct.pack(">h", v))
        return self

    def int32(self, v: int) -> Writer:
        self.parts.append(struct.pack(">i", v))
        return self

    def int64(self, v: int) -> Writer:
        self.parts.append(struct.pack(">q", v))
        return self

    def string(self, v: str | None) -> Writer:
        if v is None:
            return self.int16(-1)
        raw = v.encode()
        self.int16(len(raw)).parts.append(raw)
        return self

    def bytes_(self, v: bytes | None) -> Writer:
        if v is None:
            return self.int32(-1)
        self.int32(len(v)).parts.append(v)
        return self

    def array(self, items: list[Any], write: Callable[[Writer, Any], Any]) -> Writer:
        self.int32(len(items))
        for item in items:
            write(self, item)
        return self

    def body(self) -> bytes:
        return b"".join(self.parts)


@dataclass
class Record:
    """One record of a stored batch, decoded (for ListOffsets by time and for tests to inspect)."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


def decode_batch(batch: bytes) -> tuple[dict[str, int], list[Record]]:
    """The header fields and records of a record batch v2 (ValueError: not v2, bad CRC, compressed)."""
    r = Reader(batch)
    base_offset, _length, _epoch, magic = r.int64(), r.int32(), r.int32(), r.int8()
    if magic != 2:
        raise ValueError(f"magic {magic}: only record batch v2 is supported")
    crc = struct.unpack_from(">I", batch, r.pos)[0]
    r.pos += 4
    if crc32c(batch[r.pos:]) != crc:
        raise ValueError("CRC-32C mismatch")
    header = {"attributes": r.int16(), "lastOffsetDelta": r.int32(), "baseTimestamp": r.int64(), "maxTimestamp": r.int64(),
              "producerId": r.int64(), "producerEpoch": r.int16(), "baseSequence": r.int32()}
    if header["attributes"] & 0x07:
        raise ValueError("compressed batches are not supported")
    records = []
    for _ in range(r.int32()):
        r.varint()  # length
        r.int8()  # attributes (unused)
        timestamp = header["baseTimestamp"] + r.varint()
        offset = base_offset + r.varint()
        key, value = r.varbytes(), r.varbytes()
        headers = []
        for _ in range(r.varint()):
            name = r.varbytes() or b""
            headers.append((name.decode(), r.varbytes()))
        records.append(Record(offset, timestamp, key, value, headers))
    return header, records


@dataclass
class Partition:
    batches: list[tuple[int, bytes]] = field(default_factory=list)  # (base offset, batch with that base offset)
    next_offset: int = 0
    open_txn: dict[int, int] = field(default_factory=dict)  # producer id -> first offset of its open transaction

    def stable(self) -> int:
        return min([self.next_offset, *self.open_txn.values()])

    def records(self) -> list[Record]:
        return [record for _, batch in self.batches for record in decode_batch(batch)[1]]


@dataclass
class Group:
    generation: int = 0
    member: str | None = None
    protocol: str | None = None
    assignment: bytes = b""
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)


class BrokerDouble:
    """`async with BrokerDouble() as broker:` listens on 127.0.0.1:`broker.port`; `broker.bootstrap` is the
    address to give a client; `broker.topics[name][partition].records()` shows what was produced."""

    VERSIONS = {18: 0, 3: 1, 0: 3, 1: 4, 2: 2, 10: 1, 11: 1, 14: 0, 12: 0, 13: 0, 8: 2, 9: 1, 22: 0, 24: 0, 26: 0}

    def __init__(self, partitions: int = 1) -> None:
        self.partitions = partitions
        self.topics: dict[str, list[Partition]] = {}
        self.groups: dict[str, Group] = {}
        self.port = 0
        self.requests: list[tuple[int, int]] = []  # (api key, version) of every request, in order
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._appended = asyncio.Event()
        self._producer_ids = 1000
        self._txn_partitions: dict[int, set[tuple[str, int]]] = {}
        self._handlers: dict[int, Callable[[Reader], Any]] = {
            18: self._api_versions, 3: self._metadata, 0: self._produce, 1: self._fetch, 2: self._list_offsets,
            10: self._find_coordinator, 11: self._join_group, 14: self._sync_group, 12: self._heartbeat,
            13: self._leave_group, 8: self._offset_commit, 9: self._offset_fetch, 22: self._init_producer_id,
            24: self._add_partitions_to_txn, 26: self._end_txn,
        }

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def __aenter__(self) -> BrokerDouble:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    def topic(self, name: str) -> list[Partition]:
        """The partitions of `name`, created on first use (as a broker with auto.create.topics.enable)."""
        return self.topics.setdefault(name, [Partition() for _ in range(self.partitions)])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                size = struct.unpack(">i", await reader.readexactly(4))[0]
                r = Reader(await reader.readexactly(size))
                api_key, version, correlation = r.int16(), r.int16(), r.int32()
                r.string()  # client id
                self.requests.append((api_key, version))
                if self.VERSIONS.get(api_key) != version:
                    break  # a broker closes the connection on a version it does not support
                body = await self._handlers[api_key](r)
                if body is None:  # Produce with acks=0: no response
                    continue
                payload = struct.pack(">i", correlation) + body
                writer.write(struct.pack(">i", len(payload)) + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the double stops
        finally:
            self._connections.discard(task)
            writer.close()

    async def _api_versions(self, r: Reader) -> bytes:
        return Writer().int16(NONE).array(sorted(self.VERSIONS.items()), lambda w, kv: w.int16(kv[0]).int16(kv[1]).int16(kv[1])).body()

    async def _metadata(self, r: Reader) -> bytes:
        asked = r.array(r.string)
        names = sorted(self.topics) if asked is None else asked
        w = Writer().array([0], lambda w, _: w.int32(0).string("127.0.0.1").int32(self.port).string(None)).int32(0)

        def topic(w: Writer, name: str) -> None:
            parts = self.topic(name)
            w.int16(NONE).string(name).int8(0).array(list(range(len(parts))), lambda w, i: (
                w.int16(NONE).int32(i).int32(0).array([0], Writer.int32).array([0], Writer.int32)))

        return w.array(names, topic).body()

    async def _produce(self, r: Reader) -> bytes | None:
        _txn_id, acks, _timeout = r.string(), r.int16(), r.int32()
        asked = r.array(lambda: (r.string() or "", r.array(lambda: (r.int32(), r.bytes_())))) or []
        out = [(name, [self._append(name, index, batch) for index, batch in parts or []]) for name, parts in asked]
        self._appended.set()
        self._appended = asyncio.Event()
        if acks == 0:
            return None
        return Writer().array(out, lambda w, t: w.string(t[0]).array(t[1], lambda w, p: (
            w.int32(p[0]).int16(p[1]).int64(p[2]).int64(-1)))).int32(0).body()

    def _append(self, topic: str, index: int, batch: bytes | None) -> tuple[int, int, int]:
        """Append one batch: (partition, error code, base offset)."""
        parts = self.topic(topic)
        if not 0 <= index < len(parts) or batch is None:
            return index, UNKNOWN_TOPIC_OR_PARTITION, -1
        try:
            header, _ = decode_batch(batch)
        except ValueError as exc:
            return index, UNSUPPORTED_COMPRESSION_TYPE if "compressed" in str(exc) else CORRUPT_MESSAGE, -1
        part = parts[index]
        base = part.next_offset
        part.batches.append((base, struct.pack(">q", base) + batch[8:]))  # the CRC does not cover the base offset
        part.next_offset = base + header["lastOffsetDelta"] + 1
        pid = header["producerId"]
        if (topic, index) in self._txn_partitions.get(pid, set()):
            part.open_txn.setdefault(pid, base)
        return index, NONE, base

    async def _fetch(self, r: Reader) -> bytes:
        _replica, max_wait, _min_bytes, _max_bytes, isolation = r.int32(), r.int32(), r.int32(), r.int32(), r.int8()
        asked = r.array(lambda: (r.string(), r.array(lambda: (r.int32(), r.int64(), r.int32())))) or []
        answer = self._fetched(asked, isolation)
        if not any(data for _, parts in answer for *_, data in parts):
            with contextlib.suppress(TimeoutError):  # long poll: wait for an append, at most max_wait_ms
                await asyncio.wait_for(self._appended.wait(), max_wait / 1000)
            answer = self._fetched(asked, isolation)
        return Writer().int32(0).array(answer, lambda w, t: w.string(t[0]).array(t[1], lambda w, p: (
            w.int32(p[0]).int16(p[1]).int64(p[2]).int64(p[3]).array([], Writer.int64).bytes_(p[4])))).body()

    def _fetched(self, asked: list[Any], isolation: int) -> list[Any]:
        answer = []
        for name, partitions in asked:
            parts = self.topic(name)
            out = []
            for index, offset, _max in partitions or []:
                if not 0 <= index < len(parts):
                    out.append((index, UNKNOWN_TOPIC_OR_PARTITION, -1, -1, None))
                    continue
                part = parts[index]
                limit = part.stable() if isolation == 1 else part.next_offset
                data = b"".join(batch for base, batch in part.batches
                                if base < limit and base + decode_batch(batch)[0]["lastOffsetDelta"] >= offset)
                out.append((index, NONE, part.next_offset, part.stable(), data))
            answer.append((name, out))
        return answer

    async def _list_offsets(self, r: Reader) -> bytes:
        _replica, isolation = r.int32(), r.int8()
        asked = r.array(lambda: (r.string(), r.array(lambda: (r.int32(), r.int64())))) or []

        def found(name: str, index: int, at: int) -> tuple[int, int, int, int]:
            parts = self.topic(name)
            if not 0 <= index < len(parts):
                return index, UNKNOWN_TOPIC_OR_PARTITION, -1, -1
            part = parts[index]
            if at == -2:
                return index, NONE, -1, part.batches[0][0] if part.batches else part.next_offset
            if at == -1:
                return index, NONE, -1, part.stable() if isolation == 1 else part.next_offset
            first = next((rec for rec in part.records() if rec.timestamp >= at), None)
            return (index, NONE, -1, -1) if first is None else (index, NONE, first.timestamp, first.offset)

        answer = [(name, [found(name, i, at) for i, at in parts or []]) for name, parts in asked]
        return Writer().int32(0).array(answer, lambda w, t: w.string(t[0]).array(t[1], lambda w, p: (
            w.int32(p[0]).int16(p[1]).int64(p[2]).int64(p[3])))).body()

    async def _find_coordinator(self, r: Reader) -> bytes:
        r.string(), r.int8()  # key, key type: this node coordinates every group and transaction
        return Writer().int32(0).int16(NONE).string(None).int32(0).string("127.0.0.1").int32(self.port).body()

    async def _join_group(self, r: Reader) -> bytes:
        name, _session, _rebalance, member = r.string() or "", r.int32(), r.int32(), r.string() or ""
        _protocol_type = r.string()
        protocols = r.array(lambda: (r.string(), r.bytes_())) or []
        group = self.groups.setdefault(name, Group())
        member = member or f"member-{group.generation + 1}-{len(self.groups)}"
        group.generation += 1
        group.member, group.protocol, group.assignment = member, protocols[0][0], b""
        return Writer().int16(NONE).int32(group.generation).string(group.protocol).string(member).string(member).array(
            [(member, protocols[0][1])], lambda w, m: w.string(m[0]).bytes_(m[1])).body()

    def _member_error(self, name: str, generation: int, member: str | None) -> int:
        group = self.groups.get(name)
        if group is None or group.member != member:
            return UNKNOWN_MEMBER_ID
        return NONE if group.generation == generation else ILLEGAL_GENERATION

    async def _sync_group(self, r: Reader) -> bytes:
        name, generation, member = r.string() or "", r.int32(), r.string()
        assignments = dict(r.array(lambda: (r.string(), r.bytes_())) or [])
        error = self._member_error(name, generation, member)
        if error == NONE:
            self.groups[name].assignment = assignments.get(member) or self.groups[name].assignment
        return Writer().int16(error).bytes_(self.groups[name].assignment if error == NONE else b"").body()

    async def _heartbeat(self, r: Reader) -> bytes:
        return Writer().int16(self._member_error(r.string() or "", r.int32(), r.string())).body()

    async def _leave_group(self, r: Reader) -> bytes:
        name, member = r.string() or "", r.string()
        group = self.groups.get(name)
        if group is not None and group.member == member:
            group.member = None
        return Writer().int16(NONE).body()

    async def _offset_commit(self, r: Reader) -> bytes:
        name, generation, member, _retention = r.string() or "", r.int32(), r.string(), r.int64()
        asked = r.array(lambda: (r.string(), r.array(lambda: (r.int32(), r.int64(), r.string())))) or []
        error = self._member_error(name, generation, member) if generation >= 0 else NONE  # -1: a simple commit
        group = self.groups.setdefault(name, Group())
        for topic, parts in asked:
            for index, offset, _meta in parts or []:
                if error == NONE:
                    group.offsets[(topic, index)] = offset
        return Writer().array(asked, lambda w, t: w.string(t[0]).array(t[1] or [], lambda w, p: w.int32(p[0]).int16(error))).body()

    async def _offset_fetch(self, r: Reader) -> bytes:
        group = self.groups.setdefault(r.string() or "", Group())
        asked = r.array(lambda: (r.string(), r.array(r.int32))) or []
        return Writer().array(asked, lambda w, t: w.string(t[0]).array(t[1] or [], lambda w, i: (
            w.int32(i).int64(group.offsets.get((t[0], i), -1)).string("").int16(NONE)))).body()

    async def _init_producer_id(self, r: Reader) -> bytes:
        r.string(), r.int32()  # transactional id, transaction timeout
        self._producer_ids += 1
        return Writer().int32(0).int16(NONE).int64(self._producer_ids).int16(0).body()

    async def _add_partitions_to_txn(self, r: Reader) -> bytes:
        _txn, pid, _epoch = r.string(), r.int64(), r.int16()
        asked = r.array(lambda: (r.string(), r.array(r.int32))) or []
        for topic, parts in asked:
            self._txn_partitions.setdefault(pid, set()).update((topic, i) for i in parts or [])
        return Writer().int32(0).array(asked, lambda w, t: w.string(t[0]).array(t[1] or [], lambda w, i: w.int32(i).int16(NONE))).body()

    async def _end_txn(self, r: Reader) -> bytes:
        _txn, pid, _epoch, committed = r.string(), r.int64(), r.int16(), r.int8()
        for topic, index in self._txn_partitions.pop(pid, set()):
            part = self.topic(topic)[index]
            first = part.open_txn.pop(pid, None)
            if first is not None and not committed:
                part.batches = [(base, b) for base, b in part.batches
                                if base < first or decode_batch(b)[0]["producerId"] != pid]
        self._appended.set()
        self._appended = asyncio.Event()
        return Writer().int32(0).int16(NONE).body()
