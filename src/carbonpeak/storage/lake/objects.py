"""Where the lake's dataset files live: a local folder, or an S3-compatible object store.

:class:`LakeObjects` is the one seam every write, delete, listing and read of a dataset file
goes through. A path it hands out (:meth:`LakeObjects.path`) is what every reader takes:
a local path string, or ``s3://bucket/prefix/<rel>`` for an object store. DuckDB reads the
latter through an fsspec filesystem wrapping pyarrow's ``S3FileSystem``
(:meth:`LakeObjects.connect`; DuckDB's own httpfs extension is not needed), pyarrow through
:meth:`LakeObjects.parquet_file`.

The registry stays the commit point on both: a batch's objects are written first, then the
registry transaction makes them live; an object that no committed batch names is never read
(readers take only the paths the registry lists) and the next writer's recovery deletes it.
On a local folder a file is written to ``.tmp``, fsynced and renamed; on an object store a
PUT (or a completed multipart upload) makes the object appear whole or not at all.

A file may be written from a stream of record batches (:meth:`LakeObjects.write_parquet_stream`,
the month a correction rewrites): it is written one row group at a time, so the file is never
whole in memory, with the same row groups, order and durability as a table's.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

__all__ = ["LakeObjects", "S3Options", "hadoop_path", "write_parquet_durably"]

#: rows per row group of the lake's files
ROW_GROUP = 1_000_000
#: how the lake's Parquet files are written (local and object store alike)
_PARQUET: dict[str, Any] = {"compression": "zstd", "row_group_size": ROW_GROUP}


@dataclass(frozen=True)
class S3Options:
    """How to reach an S3-compatible store. Credentials are never here: pyarrow reads them
    from the usual AWS variables (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_SESSION_TOKEN``), the AWS config files or an instance profile."""

    endpoint: str | None = None  # e.g. http://127.0.0.1:9000 (MinIO); None: AWS itself
    region: str | None = None

    def filesystem(self) -> pafs.S3FileSystem:
        """pyarrow's S3 filesystem for these options (path-style addressing, which MinIO and
        most S3-compatible stores need, is pyarrow's default)."""
        kwargs: dict[str, Any] = {
            "region": self.region or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"}
        if self.endpoint:
            parts = urlsplit(self.endpoint if "://" in self.endpoint
                             else f"https://{self.endpoint}")
            kwargs["endpoint_override"] = parts.netloc
            kwargs["scheme"] = parts.scheme or "https"
        return pafs.S3FileSystem(**kwargs)


class LakeObjects:
    """The lake's dataset files under ``url``: a local folder or ``s3://bucket/prefix``."""

    def __init__(self, url: str | Path, s3: S3Options | None = None) -> None:
        text = str(url)
        self.remote = text.startswith("s3://")
        if self.remote:
            parts = urlsplit(text)
            if not parts.netloc:
                msg = f"lake URL {text!r} names no bucket; use s3://bucket/prefix"
                raise ValueError(msg)
            prefix = parts.path.strip("/")
            self._base = f"{parts.netloc}/{prefix}" if prefix else parts.netloc
            self.url = f"s3://{self._base}"
            self.filesystem: pafs.FileSystem = (s3 or S3Options()).filesystem()
        else:
            self.local_root = Path(text)
            self._base = str(self.local_root)
            self.url = self._base
            self.filesystem = pafs.LocalFileSystem()
        self._fsspec: Any = None

    # -- paths -------------------------------------------------------------------------
    def path(self, rel: str | Path) -> str:
        """The path every reader takes for the lake-relative ``rel``."""
        if self.remote:
            return f"{self.url}/{Path(rel).as_posix()}"
        return str(self.local_root / rel)

    def rel(self, path: str) -> str:
        """``path`` relative to the lake (the inverse of :meth:`path`)."""
        if self.remote:
            head = self.url + "/"
            return path[len(head):] if path.startswith(head) else path
        return Path(path).relative_to(self.local_root).as_posix()

    def _fs_path(self, rel: str | Path) -> str:
        return f"{self._base}/{Path(rel).as_posix()}"

    def _fs_of(self, path: str) -> str:
        return path[len("s3://"):] if self.remote and path.startswith("s3://") else path

    # -- writing -----------------------------------------------------------------------
    def write_parquet(self, table: pa.Table, rel: str | Path) -> None:
        """Write ``table`` at ``rel`` so that a crash leaves no half-written file readable."""
        if not self.remote:
            write_parquet_durably(table, self.local_root / rel)
            return
        pq.write_table(table, self._fs_path(rel), filesystem=self.filesystem, **_PARQUET)

    def write_parquet_stream(self, batches: pa.RecordBatchReader, rel: str | Path) -> int:
        """Write the rows of ``batches`` at ``rel`` as they come, a row group at a time (at most
        two row groups in memory, whatever the file's size); returns the rows written.

        The file is the one :meth:`write_parquet` would write from the same rows (same row
        groups and order) and as durable: a local ``.tmp`` fsynced and renamed; on an object
        store a multipart upload that completes only when the last row group is written, and
        an object cut short by an error is deleted at once.
        """
        if not self.remote:
            return write_parquet_durably(batches, self.local_root / rel)
        where = self._fs_path(rel)
        try:
            with self.filesystem.open_output_stream(where) as sink:
                return _write_batches(batches, sink)
        except BaseException:
            # closing the stream completed the upload of what was written: remove it
            with contextlib.suppress(OSError):
                self.filesystem.delete_file(where)
            raise

    def delete(self, rel: str | Path) -> None:
        """Remove ``rel``; a missing file is not an error."""
        if not self.remote:
            (self.local_root / rel).unlink(missing_ok=True)
            return
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_file(self._fs_path(rel))

    def list_files(self, prefix: str) -> Iterator[str]:
        """Lake-relative paths of every file under the folder ``prefix`` (recursive)."""
        sel = pafs.FileSelector(self._fs_path(prefix), recursive=True, allow_not_found=True)
        head = len(self._base) + 1
        for info in self.filesystem.get_file_info(sel):
            if info.type == pafs.FileType.File:
                yield info.path[head:] if self.remote else \
                    Path(info.path).relative_to(self.local_root).as_posix()

    # -- reading -----------------------------------------------------------------------
    def parquet_file(self, path: str) -> pq.ParquetFile:
        """Open a Parquet file by the path :meth:`path` handed out."""
        if not self.remote:
            return pq.ParquetFile(path)
        return pq.ParquetFile(self.filesystem.open_input_file(self._fs_of(path)))

    def read_table(self, path: str, columns: list[str] | None = None) -> pa.Table:
        """Read a whole Parquet file by the path :meth:`path` handed out."""
        if not self.remote:
            return pq.read_table(path, columns=columns)
        return pq.read_table(self._fs_of(path), columns=columns, filesystem=self.filesystem)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new in-memory DuckDB connection that reads this lake's paths."""
        con = duckdb.connect()
        if self.remote:
            con.register_filesystem(self._duckdb_filesystem())
        return con

    def _duckdb_filesystem(self) -> Any:
        if self._fsspec is None:
            from fsspec.implementations.arrow import ArrowFSWrapper

            class _S3(ArrowFSWrapper):  # type: ignore[misc]
                # DuckDB routes a path to the registered filesystem by its protocol
                protocol = ("s3",)

            self._fsspec = _S3(self.filesystem)
        return self._fsspec


def hadoop_path(path: str) -> str:
    """The path Spark (Hadoop) reads: ``s3a://`` for an object (the hadoop-aws connector's
    scheme), a local path as it is."""
    return "s3a://" + path[len("s3://"):] if path.startswith("s3://") else path


def _write_batches(batches: pa.RecordBatchReader, where: str | pa.NativeFile) -> int:
    """Write a stream of batches as one Parquet file with the row groups ``pq.write_table``
    would cut from the whole table (``ROW_GROUP`` rows each, the last one shorter); returns
    the rows written. At most one row group plus one batch is held at a time."""
    schema = batches.schema
    pending: list[pa.RecordBatch] = []
    held = written = 0
    with pq.ParquetWriter(where, schema, compression=_PARQUET["compression"]) as writer:
        for batch in batches:
            pending.append(batch)
            held += batch.num_rows
            while held >= ROW_GROUP:
                table = pa.Table.from_batches(pending, schema)
                writer.write_table(table.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                rest = table.slice(ROW_GROUP)
                pending, held = rest.to_batches(), rest.num_rows
                written += ROW_GROUP
        if held or not written:
            writer.write_table(pa.Table.from_batches(pending, schema), row_group_size=ROW_GROUP)
            written += held
    return written


def write_parquet_durably(data: pa.Table | pa.RecordBatchReader, path: Path) -> int:
    """Write ``data`` to ``path`` so that a crash leaves the old state or the new, never half;
    returns the rows written.

    ``<path>.tmp`` is written (zstd), fsynced, renamed over ``path``, and the folder fsynced.
    A :class:`pyarrow.RecordBatchReader` is written as it is read, a row group at a time.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        if isinstance(data, pa.Table):
            pq.write_table(data, tmp, **_PARQUET)
            rows = int(data.num_rows)
        else:
            rows = _write_batches(data, str(tmp))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written file behind
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return rows
