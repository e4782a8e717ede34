"""The lake on S3-compatible object storage (``CARBONPEAK_LAKE_URL=s3://bucket/prefix``),
against moto's S3 server on loopback: the account gives the same numbers as on local files,
an object no committed batch names is never read, and re-sending a batch changes nothing.

The reference district (tests/reference_district.py, worked out by hand in
tests/test_account.py): 126,320 kWh of electricity and 61.871175 tCO2 in 2024.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pytest
from sqlalchemy import select

from carbonpeak.config import Settings
from carbonpeak.errors import ConfigError
from carbonpeak.intake import imports
from carbonpeak.intake.bootstrap import init_workspace
from carbonpeak.intake.imports import import_file
from carbonpeak.services.accounting.account import AccountResult, run_account
from carbonpeak.services.accounting.engines import PipelineInputs, run_spark
from carbonpeak.services.accounting.quality import refresh_quality
from carbonpeak.storage.lake.objects import LakeObjects, S3Options, hadoop_path
from carbonpeak.storage.lake.store import Lake
from carbonpeak.storage.registry.models import IngestBatch, LakeFile
from carbonpeak.storage.workspace import Workspace
from tests import reference_district
from tests.conftest import write
from tests.test_lake_rewrite import check_failed_rewrite, check_rewrite

BUCKET = "carbonpeak-lake"
ELEC_KWH = 126_320.0  # tests/test_account.py: ELEC_TOTAL
TCO2 = 126_320.0 * 0.42 / 1000 + 100 * 21.6219 / 1e4 + 0.84 * 3.0959 + 100 * 0.06  # 61.871175


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port, with one bucket; credentials are dummies
    read from the usual AWS variables, as a deployment's would be."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # returns once the server answers
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ACCESS_KEY_ID", "test-key")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        mp.delenv("AWS_ENDPOINT_URL", raising=False)
        pafs.S3FileSystem(endpoint_override=f"{host}:{port}", scheme="http",
                          region="us-east-1", allow_bucket_creation=True).create_dir(BUCKET)
        yield endpoint
    server.stop()


def _home(tmp_path: Path, name: str, lake_url: str | None = None,
          endpoint: str | None = None) -> Workspace:
    ws, _ = init_workspace(Settings(home=tmp_path / name,
                                    database_url=f"sqlite:///{tmp_path / name}.sqlite",
                                    lake_url=lake_url, s3_endpoint=endpoint),
                           profiles=["huangpu"], actor="test", load_targets=False)
    reference_district.load(ws, tmp_path / f"{name}-in")
    return ws


@pytest.fixture
def s3_home(tmp_path: Path, s3_endpoint: str, request: pytest.FixtureRequest) -> Iterator[
        Workspace]:
    ws = _home(tmp_path, "s3", f"s3://{BUCKET}/{request.node.name}/lake", s3_endpoint)
    yield ws
    ws.close()


def _objects(ws: Workspace) -> set[str]:
    return {rel for ds in ("readings", "registers", "ledger")
            for rel in ws.lake.objects.list_files(ds)}


def _live_paths(ws: Workspace) -> list[str]:
    with ws.registry.session() as s:
        return sorted(s.scalars(select(LakeFile.path).where(LakeFile.status == "live")))


def _assert_same(a: AccountResult, b: AccountResult) -> None:
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        x, y = a.tables[name], b.tables[name]
        keys = list(x.columns[: min(3, len(x.columns))])
        if len(x):
            x = x.sort_values(keys).reset_index(drop=True)
            y = y.sort_values(keys).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=1e-12)
    for key in ("tce_equal", "tce_equivalent", "tco2"):
        assert a.totals[key] == pytest.approx(b.totals[key], rel=1e-12)


def test_the_account_on_s3_equals_the_account_on_local_files(
        tmp_path: Path, s3_home: Workspace) -> None:
    local = _home(tmp_path, "local")
    try:
        on_disk = run_account(local, year=2024)
        on_s3 = run_account(s3_home, year=2024)
    finally:
        local.close()
    # the hand-checked figures, on both lakes
    for res in (on_disk, on_s3):
        assert res.totals["tco2"] == pytest.approx(TCO2, rel=1e-12)
        year = res.tables["inventory_district_year"].set_index("carrier")
        assert year.loc["electricity", "quantity"] == pytest.approx(ELEC_KWH, rel=1e-12)
    _assert_same(on_s3, on_disk)
    # the S3 home's dataset files are objects in the bucket, none on its local disk; the
    # registry names the same relative paths as objects
    live = _live_paths(s3_home)
    assert live
    assert set(live) <= _objects(s3_home)
    assert not list((s3_home.lake.root / "readings").rglob("*.parquet"))
    assert all(p.startswith(f"s3://{BUCKET}/") for p in
               s3_home.lake.live_files("huangpu", "readings"))
    # Spark reads the same objects through the hadoop-aws connector's scheme
    assert hadoop_path(f"s3://{BUCKET}/x/readings/a.parquet") == \
        f"s3a://{BUCKET}/x/readings/a.parquet"


class _Killed(BaseException):
    """The writer dies between writing its objects and committing the batch."""


def test_an_object_without_a_committed_batch_is_never_read(
        tmp_path: Path, s3_home: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    before = run_account(s3_home, year=2024)
    objects_before, live_before = _objects(s3_home), _live_paths(s3_home)

    def killed(*_args: object, **_kw: object) -> None:
        raise _Killed

    # a killed writer runs no clean-up: its objects stay and its batch stays pending
    monkeypatch.setattr(Lake, "commit_files", staticmethod(killed))
    monkeypatch.setattr(imports, "_fail_batch", lambda *_a, **_k: None)
    path = write(tmp_path, "more.csv", """
        meter_id,ts,value
        M1,2024-01-01T00:00:00,120
        M1,2024-03-01T00:00:00,70
    """)
    with pytest.raises(_Killed):
        import_file(s3_home, "readings", path)
    monkeypatch.undo()
    orphans = _objects(s3_home) - objects_before
    assert len(orphans) == 2  # January rewritten with the new value, and March
    assert _live_paths(s3_home) == live_before
    with s3_home.registry.session() as s:
        crashed = s.scalars(select(IngestBatch).order_by(IngestBatch.id.desc())).first()
        assert crashed is not None
        assert crashed.status == "pending"
        crashed_id = crashed.id
    # the account reads only what the registry names: the same numbers
    after = run_account(s3_home, year=2024)
    assert after.totals["tco2"] == pytest.approx(before.totals["tco2"], rel=1e-12)
    assert after.totals["tco2"] == pytest.approx(TCO2, rel=1e-12)
    # the next writer recovers: the batch is interrupted and its objects are deleted
    with s3_home.lake.locked():
        removed = s3_home.lake.recover()
    assert sorted(s3_home.lake.relative(p) for p in removed) == sorted(orphans)
    assert _objects(s3_home) == objects_before
    with s3_home.registry.session() as s:
        assert s.get(IngestBatch, crashed_id).status == "interrupted"


def test_resending_a_batch_changes_nothing(tmp_path: Path, s3_home: Workspace) -> None:
    objects_before, live_before = _objects(s3_home), _live_paths(s3_home)
    # the same rows as the reference readings.csv (another file: the same bytes would be
    # answered as a duplicate before the lake is looked at)
    path = write(tmp_path, "again.csv", """
        meter_id,ts,value
        M1,2024-01-01T01:00:00,50
        M1,2024-01-01T00:00:00,100
        M4,2024-01-01T12:00:00,40
    """)
    again = import_file(s3_home, "readings", path)
    assert again.status == "no_change"
    assert (again.added, again.unchanged) == (0, again.rows_in)
    assert _objects(s3_home) == objects_before
    assert _live_paths(s3_home) == live_before
    # (one home for both tests: each S3 home costs its imports)
    _the_other_readers_read_the_objects(s3_home)


def _the_other_readers_read_the_objects(s3_home: Workspace) -> None:
    """The lake's own readers and the quality flags read the objects, not local files."""
    lake = s3_home.lake
    assert lake.meters_with_data(["M1", "M2", "M3", "NONE"]) == {"M1", "M2", "M3"}
    files = lake.live_files("huangpu", "readings")
    with s3_home.registry.session() as s:
        batches = set(s.scalars(select(LakeFile.batch_id).where(
            LakeFile.dataset == "readings", LakeFile.status == "live")))
    assert lake.batches_in(files) == batches
    assert lake.parquet_file(files[0]).metadata.num_rows > 0
    # the flags of the months with readings: M2's 2023-12-31 23:00 read (local time) is
    # December; M3's 2024-02-01T16:00Z read (00:00 on 2 February in Shanghai) is February
    assert refresh_quality(s3_home, "huangpu") == ["2023-12", "2024-01", "2024-02"]


def test_a_lake_url_that_is_a_folder_keeps_its_files_there(tmp_path: Path) -> None:
    """CARBONPEAK_LAKE_URL=/a/shared/mount: the same seam on a local folder."""
    objects = LakeObjects(tmp_path / "shared")
    rel = "readings/district=huangpu/month=2024-01/b00000001-ab.parquet"
    objects.write_parquet(pa.table({"meter_id": ["M1"], "value": [1.5]}), rel)
    assert list(objects.list_files("readings")) == [rel]
    path = objects.path(rel)
    assert path == str(tmp_path / "shared" / rel)
    assert objects.rel(path) == rel
    con = objects.connect()
    try:
        assert con.execute("SELECT sum(value) FROM read_parquet(?)", [[path]]).fetchone() \
            == (1.5,)
    finally:
        con.close()
    objects.delete(rel)
    objects.delete(rel)  # a missing file is not an error
    assert list(objects.list_files("readings")) == []


def test_the_lake_url_is_checked() -> None:
    with pytest.raises(ValueError, match="lake_url"):
        Settings(lake_url="gs://bucket/lake")
    with pytest.raises(ValueError, match="lake_url"):
        Settings(lake_url="relative/folder")
    objects = LakeObjects("s3://bucket/some/prefix/", S3Options(endpoint="http://127.0.0.1:1"))
    assert objects.path("readings/a.parquet") == "s3://bucket/some/prefix/readings/a.parquet"
    assert objects.rel("s3://bucket/some/prefix/readings/a.parquet") == "readings/a.parquet"


def test_spark_without_the_hadoop_aws_connector_is_told_what_the_cluster_needs() -> None:
    """Spark reads an object-store lake as s3a://; where the connector is missing (as on this
    machine: Maven is out of reach) the account says so instead of Hadoop's stack trace."""
    read: list[str] = []

    class _Reader:
        def parquet(self, *paths: str) -> None:
            read.extend(paths)
            msg = ('org.apache.hadoop.fs.UnsupportedFileSystemException: '
                   'No FileSystem for scheme "s3a"')
            raise RuntimeError(msg)

    class _Spark:
        read = _Reader()

    path = f"s3://{BUCKET}/city/lake/readings/district=huangpu/month=2024-01/b00000001-ab.parquet"
    inputs = PipelineInputs(files={"readings": [path]}, tables={})
    with pytest.raises(ConfigError, match="hadoop-aws") as refused:
        run_spark([], inputs, [], spark=_Spark())
    assert read == ["s3a://" + path.removeprefix("s3://")]
    assert f"s3a://{BUCKET}/city/lake/readings" in str(refused.value)
    assert isinstance(refused.value.__cause__, RuntimeError)


def test_a_correction_rewrites_its_month_as_a_stream_of_objects(
        s3_home: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rewritten month's object equals the in-memory rewrite (rows, order, row groups),
    written through a multipart upload (tests/test_lake_rewrite.py, the same case on disk)."""
    check_rewrite(s3_home, monkeypatch)
    assert not list((s3_home.lake.root / "readings").rglob("*.parquet*"))


def test_a_rewrite_cut_off_half_way_leaves_no_object(
        s3_home: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The store fails after the first row group: the failed batch leaves no object (the one
    the upload completed on closing is deleted), not even for the next writer's recovery."""
    after = check_failed_rewrite(s3_home, monkeypatch)
    with s3_home.registry.session() as s:  # every object is a file the registry names
        named = set(s.scalars(select(LakeFile.path).where(LakeFile.dataset == "readings")))
    assert after == named
