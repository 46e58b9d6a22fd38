"""The compression algorithms of Kestra's compress plugin, as stream wrappers. GZIP, BZIP2, XZ, LZMA and
DEFLATE come with Python; ZSTD needs the `compress` extra (zstandard). Kestra's other names (BROTLI, LZ4BLOCK,
LZ4FRAME, SNAPPY, SNAPPYFRAME, DEFLATE64, Z) are accepted by validation and fail at run time with a message."""

from __future__ import annotations

import bz2
import gzip
import importlib
import lzma
import zlib
from typing import IO, Any, Literal

from legato.plugins.context import TaskFailed

Compression = Literal[
    "BROTLI",
    "BZIP2",
    "DEFLATE",
    "DEFLATE64",
    "GZIP",
    "LZ4BLOCK",
    "LZ4FRAME",
    "LZMA",
    "SNAPPY",
    "SNAPPYFRAME",
    "XZ",
    "Z",
    "ZSTD",
]
EXTENSIONS = {
    "GZIP": ".gz",
    "BZIP2": ".bz2",
    "XZ": ".xz",
    "LZMA": ".lzma",
    "DEFLATE": ".deflate",
    "ZSTD": ".zst",
}


class _Deflate:
    """zlib streams (Commons Compress's DEFLATE: zlib header and checksum) as a file object."""

    def __init__(self, raw: IO[bytes], mode: str) -> None:
        self.raw, self.mode = raw, mode
        self._z: Any = zlib.compressobj() if mode == "wb" else zlib.decompressobj()
        self._pending = b""

    def write(self, data: bytes) -> int:
        self.raw.write(self._z.compress(data))
        return len(data)

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            block = self.raw.read(1 << 20)
            if not block:
                self._pending += self._z.flush()
                break
            self._pending += self._z.decompress(block)
        if size < 0:
            size = len(self._pending)
        out, self._pending = self._pending[:size], self._pending[size:]
        return out

    def close(self) -> None:
        if self.mode == "wb":
            self.raw.write(self._z.flush())

    def __enter__(self) -> _Deflate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _zstd(raw: IO[bytes], mode: str) -> Any:
    try:
        zstandard: Any = importlib.import_module("zstandard")
    except ImportError:
        raise TaskFailed(
            "compression ZSTD needs the compress extra: pip install 'legato[compress]'"
        ) from None
    if mode == "wb":
        return zstandard.ZstdCompressor().stream_writer(raw, closefd=False)
    return zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)


def wrap(raw: IO[bytes], algorithm: str, mode: Literal["rb", "wb"]) -> Any:
    """A file object that compresses what is written to `raw` (mode wb) or decompresses what is read (rb)."""
    if algorithm == "GZIP":
        return gzip.GzipFile(fileobj=raw, mode=mode)
    if algorithm == "BZIP2":
        return bz2.BZ2File(raw, mode=mode)
    if algorithm in ("XZ", "LZMA"):
        return lzma.LZMAFile(
            raw, mode=mode, format=lzma.FORMAT_XZ if algorithm == "XZ" else lzma.FORMAT_ALONE
        )
    if algorithm == "DEFLATE":
        return _Deflate(raw, mode)
    if algorithm == "ZSTD":
        return _zstd(raw, mode)
    raise TaskFailed(
        f"compression {algorithm} is not available here; use GZIP, BZIP2, XZ, LZMA, DEFLATE or ZSTD"
    )
