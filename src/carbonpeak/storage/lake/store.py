"""The readings lake: append-only Parquet files under ``$CARBONPEAK_HOME/lake``.

Layout::

    lake/<dataset>/district=<id>/month=YYYY-MM/b<batch:08d>-<n>.parquet

Datasets and their keys:

``readings``  interval registers: ``meter_id, ts`` (ts = interval start, UTC)
``registers`` cumulative registers: ``meter_id, ts`` (ts = moment read, UTC)
``ledger``    monthly 台账 quantities: ``entity_id, period, carrier``

Invariant: among the *live* files of a dataset and district, a key occurs once. A batch that
overlaps live rows of a month rewrites that month into one new file (its rows win; the rows it
does not touch keep their original ``batch_id``); the old files become ``superseded`` in the
same registry transaction that commits the batch. The rewrite is streamed: DuckDB merges and
sorts the month (spilling beyond its ``memory_limit``) and the sorted rows are written a row
group at a time, so a month is never whole in memory, however large. Files are written to a
temporary name, fsynced and renamed before that transaction, so a crash leaves at most
unreferenced files, which :meth:`Lake.recover` removes. Readers take only the live files the
registry lists, all datasets in one statement (one snapshot), so an account never sees half
of a batch.

Each month of a batch is written apart (``WHERE month = …``), so a file under ``month=M``
holds only rows whose ``month`` is M, and a reader may take a file's month from its path
(:func:`month_of_path`): the account sums each month's files without grouping by the month.

The dataset files may live on an S3-compatible object store instead (``CARBONPEAK_LAKE_URL=
s3://bucket/prefix``): every file goes through :class:`~carbonpeak.storage.lake.objects.
LakeObjects`, the registry stays the commit point (objects first, then the batch commits),
and the lock and the derived files (account cache, quality, run outputs) stay in the local
``root``.
"""

from __future__ import annotations

import fcntl
import logging
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select, update

from carbonpeak.i18n import dumps, msg
from carbonpeak.storage.lake.objects import ROW_GROUP, LakeObjects, write_parquet_durably
from carbonpeak.storage.registry.db import Registry
from carbonpeak.storage.registry.models import IngestBatch, LakeFile
from carbonpeak.vocabulary import BatchStatus, LakeFileStatus

__all__ = ["DATASETS", "Lake", "MonthWrite", "PreparedBatch", "folder_lock", "month_of_path",
           "write_parquet_durably"]

logger = logging.getLogger(__name__)


@contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``folder`` (its ``.lock`` file), across processes."""
    with (folder / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)

DATASETS: dict[str, tuple[str, ...]] = {
    "readings": ("meter_id", "ts"),
    "registers": ("meter_id", "ts"),
    "ledger": ("entity_id", "period", "carrier"),
    # OpenADR telemetry of the virtual power plant's VENs (services/energy/vpp/vtn.py)
    "dr_telemetry": ("resource_id", "measurement", "ts"),
}
# the path carries district=/month= folders: never let DuckDB add them as columns
_READ = "read_parquet($f, hive_partitioning=false)"
# the layout's last two folders and the file: a month= folder above the lake root is not one
_MONTH_FOLDER = re.compile(r"/district=[^/]+/month=(\d{4}-\d{2})/[^/]+$")
VALUE_COLUMNS: dict[str, tuple[str, ...]] = {
    "readings": ("value",),
    "registers": ("value",),
    "ledger": ("quantity", "unit"),
    "dr_telemetry": ("value", "unit", "ven_id"),
}


def month_of_path(path: str) -> str | None:
    """The month (``YYYY-MM``) of a lake file, from its ``…/district=<id>/month=YYYY-MM/<file>``
    folders (every row of the file has that ``month``); None for a path outside the layout."""
    m = _MONTH_FOLDER.search(path)
    return m.group(1) if m else None


@dataclass
class MonthWrite:
    """What a batch does to one month of one dataset."""

    dataset: str
    month: str
    rows_in: int
    overlapping: int = 0
    replaced: int = 0
    overlapped_batches: list[int] = field(default_factory=list)
    new_path: str | None = None
    new_rows: int = 0
    supersedes: list[int] = field(default_factory=list)


@dataclass
class PreparedBatch:
    """Files written (not yet visible) for a batch, and what they change."""

    batch_id: int
    district_id: str
    months: list[MonthWrite]

    @property
    def overlapping(self) -> int:
        """Rows whose key was already live."""
        return sum(m.overlapping for m in self.months)

    @property
    def replaced(self) -> int:
        """Overlapping rows whose value this batch changed."""
        return sum(m.replaced for m in self.months)

    @property
    def changes_nothing(self) -> bool:
        """Every row was already live with the same value."""
        return all(m.new_path is None for m in self.months)

    @property
    def overlapped_batches(self) -> list[int]:
        """Earlier batches whose rows this batch overlaps."""
        return sorted({b for m in self.months for b in m.overlapped_batches})


class Lake:
    """Parquet store of one carbonpeak home.

    Parameters
    ----------
    root
        The lake folder: its ``.lock`` and the derived files (account cache, quality, run
        outputs); also the dataset files unless ``objects`` says otherwise.
    registry
        Registry whose ``lake_files`` table says which files are live.
    objects
        Where the dataset files live (default: ``root``), e.g. an S3 bucket and prefix.
    memory_limit, temp_directory
        DuckDB's ``memory_limit`` (``"6GB"``) and spill folder for every connection
        :meth:`connect` opens (``CARBONPEAK_DUCKDB_MEMORY_LIMIT``,
        ``CARBONPEAK_DUCKDB_TEMP_DIRECTORY``); None keeps DuckDB's defaults.
    """

    def __init__(self, root: Path, registry: Registry,
                 objects: LakeObjects | None = None, *, memory_limit: str | None = None,
                 temp_directory: Path | None = None) -> None:
        self.root = root
        self.registry = registry
        self.root.mkdir(parents=True, exist_ok=True)
        self.objects = objects or LakeObjects(root)
        self.memory_limit = memory_limit
        self.temp_directory = temp_directory
        self._swept: set[int] = set()  # dead batches whose files a scan has already removed

    # -- reading -----------------------------------------------------------------------
    def live_files(self, district_id: str, dataset: str,
                   months: Sequence[str] | None = None) -> list[str]:
        """Paths of the live files of ``dataset`` (optionally only some months)."""
        return self.live_file_sets(district_id, {dataset: months})[dataset]

    def live_file_sets(self, district_id: str,
                       wanted: Mapping[str, Sequence[str] | None]) -> dict[str, list[str]]:
        """Live files of several datasets, read in one statement (a consistent snapshot).

        ``wanted`` maps a dataset to the months to read (``None``: every month). The paths
        are what readers take (:meth:`connect` for DuckDB, :meth:`parquet_file`): local
        paths, or ``s3://`` URLs on an object-store lake.
        """
        with self.registry.session() as s:
            rows = s.execute(
                select(LakeFile.dataset, LakeFile.month, LakeFile.path).where(
                    LakeFile.district_id == district_id, LakeFile.status == LakeFileStatus.LIVE,
                    LakeFile.dataset.in_(list(wanted)),
                ).order_by(LakeFile.dataset, LakeFile.month, LakeFile.id)
            ).all()
        out: dict[str, list[str]] = {d: [] for d in wanted}
        for dataset, month, path in rows:
            months = wanted[dataset]
            if months is None or month in months:
                out[dataset].append(self.objects.path(path))
        return out

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new in-memory DuckDB connection that reads the paths :meth:`live_files` gives,
        under the lake's memory cap and spill folder when set."""
        con = self.objects.connect()
        if self.memory_limit:
            con.execute("SET memory_limit = $v", {"v": self.memory_limit})
        if self.temp_directory:
            con.execute("SET temp_directory = $v", {"v": str(self.temp_directory)})
        return con

    def parquet_file(self, path: str) -> pq.ParquetFile:
        """Open a live file by the path :meth:`live_files` gave."""
        return self.objects.parquet_file(path)

    def relative(self, path: str) -> str:
        """A live file's path relative to the lake (as the registry records it)."""
        return self.objects.rel(path)

    def batches_in(self, files: Sequence[str]) -> set[int]:
        """The batch ids of the rows in ``files``, from Parquet statistics where they suffice.

        A row group whose ``batch_id`` min equals its max holds one batch; only row groups
        that mix batches (months rewritten by an overlapping batch) are read.
        """
        found: set[int] = set()
        for path in files:
            pf = self.objects.parquet_file(str(path))
            col = pf.schema_arrow.get_field_index("batch_id")
            for rg in range(pf.metadata.num_row_groups):
                stats = pf.metadata.row_group(rg).column(col).statistics
                if stats is not None and stats.has_min_max and stats.min == stats.max:
                    found.add(int(stats.min))
                else:
                    ids = pf.read_row_group(rg, columns=["batch_id"]).column(0).unique()
                    found.update(int(b) for b in ids.to_pylist() if b is not None)
        return found

    def meters_with_data(self, meter_ids: Sequence[str]) -> set[str]:
        """Which of ``meter_ids`` have rows in the live readings or registers (any district)."""
        with self.registry.session() as s:
            paths = [self.objects.path(p) for p in s.scalars(select(LakeFile.path).where(
                LakeFile.status == LakeFileStatus.LIVE,
                LakeFile.dataset.in_(["readings", "registers"])))]
        if not paths or not meter_ids:
            return set()
        con = self.connect()
        try:
            rows = con.execute(
                "SELECT DISTINCT meter_id FROM read_parquet(?, hive_partitioning=false) "
                "WHERE meter_id IN (SELECT unnest(?::VARCHAR[]))",
                [paths, list(meter_ids)]).fetchall()
        finally:
            con.close()
        return {str(r[0]) for r in rows}

    # -- writing -----------------------------------------------------------------------
    #: the name of the lake's lock in the registry (:meth:`Registry.advisory_lock`)
    LOCK_NAME = "carbonpeak.lake"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Exclusive lock over the lake: one writer at a time. The ``.lock`` file's
        ``flock`` serialises the processes of one host; when the registry is PostgreSQL, a
        ``pg_advisory_lock`` on it (taken second, so the order is always the same) serialises
        the processes of every host that shares the registry and the lake."""
        with folder_lock(self.root), self.registry.advisory_lock(self.LOCK_NAME):
            yield

    def prepare(self, batch_id: int, district_id: str, dataset: str,
                table: pa.Table) -> PreparedBatch:
        """Write ``table`` (with a ``month`` column) as files of batch ``batch_id``.

        Nothing becomes visible until :meth:`commit_files` runs in the registry transaction
        that commits the batch. Call under :meth:`locked`.
        """
        keys = DATASETS[dataset]
        table = table.append_column(
            "batch_id", pa.repeat(pa.scalar(batch_id, pa.int64()), table.num_rows))
        months: list[MonthWrite] = []
        con = self.connect()
        try:
            con.execute("SET threads TO 2")
            con.register("incoming", table)
            month_list = [r[0] for r in con.execute(
                "SELECT DISTINCT month FROM incoming ORDER BY 1").fetchall()]
            for month in month_list:
                months.append(
                    self._prepare_month(con, batch_id, district_id, dataset, keys, month))
        except BaseException:
            # a month failed (a full disk): the months already written go too
            self.discard(PreparedBatch(batch_id=batch_id, district_id=district_id,
                                       months=months))
            raise
        finally:
            con.close()
        return PreparedBatch(batch_id=batch_id, district_id=district_id, months=months)

    def _prepare_month(
        self, con: duckdb.DuckDBPyConnection, batch_id: int, district_id: str, dataset: str,
        keys: tuple[str, ...], month: str,
    ) -> MonthWrite:
        existing = self._live_records(district_id, dataset, month)
        new = con.sql(
            f"SELECT * FROM incoming WHERE month = $m ORDER BY {', '.join(keys)}",
            params={"m": month},
        ).to_arrow_table()
        mw = MonthWrite(dataset=dataset, month=month, rows_in=new.num_rows)
        if existing:
            files = [self.objects.path(p) for _, p in existing]
            con.register("new_rows", new)
            on = " AND ".join(f"o.{k} = n.{k}" for k in keys)
            differs = " OR ".join(
                f"o.{v} IS DISTINCT FROM n.{v}" for v in VALUE_COLUMNS[dataset])
            stats = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {differs}), "
                f"list(DISTINCT o.batch_id) FROM {_READ} o JOIN new_rows n ON {on}",
                {"f": files},
            ).fetchall()[0]
            mw.overlapping, mw.replaced = int(stats[0]), int(stats[1])
            mw.overlapped_batches = sorted(int(b) for b in (stats[2] or []))
            if mw.overlapping == new.num_rows and mw.replaced == 0:
                con.unregister("new_rows")
                return mw  # every row already live with the same value: nothing to write
        rel = (Path(dataset) / f"district={district_id}" / f"month={month}"
               / f"b{batch_id:08d}-{uuid.uuid4().hex[:8]}.parquet")
        if mw.overlapping:
            # the month rewritten: streamed from DuckDB's sort to the file, a row group at a
            # time (the sort spills beyond the connection's memory_limit)
            merged = con.sql(
                f"SELECT * FROM (SELECT o.* FROM {_READ} o ANTI JOIN new_rows n "
                f"ON {on} UNION ALL SELECT * FROM new_rows) ORDER BY {', '.join(keys)}",
                params={"f": files},
            ).to_arrow_reader(ROW_GROUP)
            mw.new_rows = self.objects.write_parquet_stream(merged, rel)
            mw.supersedes = [fid for fid, _ in existing]
        else:
            self.objects.write_parquet(new, rel)  # the incoming month: a part of the batch
            mw.new_rows = new.num_rows
        if existing:
            con.unregister("new_rows")
        mw.new_path = str(rel)
        return mw

    def _live_records(self, district_id: str, dataset: str,
                      month: str) -> list[tuple[int, str]]:
        with self.registry.session() as s:
            rows = s.execute(
                select(LakeFile.id, LakeFile.path).where(
                    LakeFile.district_id == district_id, LakeFile.dataset == dataset,
                    LakeFile.month == month, LakeFile.status == LakeFileStatus.LIVE,
                )
            ).all()
        return [(int(r[0]), str(r[1])) for r in rows]

    @staticmethod
    def commit_files(session: object, prepared: PreparedBatch) -> None:
        """Make a prepared batch's files live, in the caller's registry transaction."""
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        for mw in prepared.months:
            if mw.new_path is None:
                continue
            f = LakeFile(
                batch_id=prepared.batch_id, district_id=prepared.district_id,
                dataset=mw.dataset, month=mw.month,
                path=mw.new_path, row_count=mw.new_rows, status=LakeFileStatus.LIVE,
            )
            session.add(f)
            if mw.supersedes:
                session.execute(
                    update(LakeFile).where(LakeFile.id.in_(mw.supersedes)).values(
                        status=LakeFileStatus.SUPERSEDED, superseded_by=prepared.batch_id)
                )

    def discard(self, prepared: PreparedBatch) -> None:
        """Delete the files of a batch that will not be committed."""
        for mw in prepared.months:
            if mw.new_path:
                self.objects.delete(mw.new_path)

    def _batch_files(self) -> Iterator[tuple[int, str]]:
        """(batch id, lake-relative path) of every dataset file and leftover ``.tmp``."""
        for dataset in DATASETS:
            for rel in self.objects.list_files(dataset):
                match = _BATCH_FILE.match(rel.rsplit("/", 1)[-1])
                if match is not None:
                    yield int(match.group(1)), rel

    def sweep_batch(self, batch_id: int) -> list[str]:
        """Remove every file of batch ``batch_id`` that the registry does not list (a batch
        that failed before its commit: its written months, a partial ``.tmp``). Call under
        :meth:`locked`, right after the failure; returns the removed paths."""
        with self.registry.session() as s:
            known = {str(p) for p in s.scalars(select(LakeFile.path).where(
                LakeFile.batch_id == batch_id))}
        removed: list[str] = []
        for bid, rel in self._batch_files():
            if bid == batch_id and rel not in known:
                self.objects.delete(rel)
                removed.append(self.objects.path(rel))
        self._swept.add(batch_id)
        return removed

    def recover(self, *, full: bool = False) -> list[str]:
        """Clean up after a crashed writer; call under :meth:`locked`.

        A batch still ``pending`` while we hold the lock belongs to a writer that died: it is
        marked ``interrupted``. The files of this registry's interrupted or failed batches that
        no registry row references are removed. Files of batches this registry does not know
        (another registry sharing the folder) are never touched. Returns the removed paths.

        The lake is scanned only when there is something to clean: a batch was still pending,
        or an interrupted or failed batch this object has not swept yet (``full`` always scans).
        """
        with self.registry.session() as s:
            pending = list(s.scalars(select(IngestBatch.id).where(
                IngestBatch.status == BatchStatus.PENDING)))
            if pending:
                s.execute(update(IngestBatch).where(IngestBatch.id.in_(pending)).values(
                    status=BatchStatus.INTERRUPTED, message=dumps(msg("intake.batch.interrupted"))))
            dead = set(s.scalars(select(IngestBatch.id).where(
                IngestBatch.status.in_([BatchStatus.INTERRUPTED, BatchStatus.FAILED]))))
            if not full and dead <= self._swept:
                return []
            known = {str(p) for p in s.scalars(select(LakeFile.path))}
        removed: list[str] = []
        for bid, rel in self._batch_files():
            if bid in dead and rel not in known:
                self.objects.delete(rel)
                removed.append(self.objects.path(rel))
        self._swept |= dead
        if removed:
            logger.warning("removed %d lake file(s) left by an interrupted import", len(removed))
        return removed


_BATCH_FILE = re.compile(r"^b(\d{8})-[0-9a-f]+\.parquet(\.tmp)?$")
