"""Settings, read once from the environment by the CLI (or passed in by tests)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]

#: ``CARBONPEAK_LAKE_URL``: an S3 bucket (and prefix), or an absolute folder
_LAKE_URL = r"^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?|/\S*)$"


class Settings(BaseSettings):
    """Where carbonpeak keeps its data.

    Environment variables: ``CARBONPEAK_HOME`` (default ``./carbonpeak-data``) and
    ``CARBONPEAK_DATABASE_URL`` (default: a SQLite file ``registry.sqlite`` in the home).

    Early-warning notifications are off unless a webhook URL or e-mail recipients are set:
    ``CARBONPEAK_NOTIFY_WEBHOOK_URL``, ``CARBONPEAK_NOTIFY_EMAIL_TO`` (comma-separated) with
    ``CARBONPEAK_SMTP_HOST``/``_PORT``/``_FROM``, and ``CARBONPEAK_NOTIFY_MIN_LEVEL``
    (``yellow`` or ``red``). Warning thresholds: ``CARBONPEAK_WARNING_YELLOW_AT`` and
    ``CARBONPEAK_WARNING_RED_AT`` (projected ÷ budget).

    Web: ``CARBONPEAK_SESSION_HOURS`` (sign-in lifetime), ``CARBONPEAK_SESSION_IDLE_MINUTES``,
    ``CARBONPEAK_COOKIE_SECURE`` (send the session cookie over HTTPS only; by default it is,
    except to a loopback address such as ``http://127.0.0.1:8000``; ``false`` for a plain-HTTP
    intranet),
    ``CARBONPEAK_LOGIN_MAX_FAILURES`` (per username: a soft limit, refusing only the clients
    that failed on it) and ``CARBONPEAK_LOGIN_MAX_FAILURES_PER_CLIENT`` (per client address)
    within ``CARBONPEAK_LOGIN_WINDOW_MINUTES``; after ``CARBONPEAK_LOGIN_DELAY_AFTER``
    failures a client waits 1 s, 2 s, 4 s … up to ``CARBONPEAK_LOGIN_DELAY_MAX_SECONDS``,
    ``CARBONPEAK_MAX_BODY_KB`` (the largest request body of any route, default 1,024 KiB;
    sign-in takes at most 4 KiB whatever this says) and ``CARBONPEAK_MAX_UPLOAD_MB`` (the
    largest body of the feeds, ``POST /api/v1/readings`` and ``/ledger``, default 64 MiB),
    ``carbonpeak serve``'s connections: ``CARBONPEAK_HTTP_HEADER_TIMEOUT_S`` (a request's
    head must arrive within this, from the connection or the first byte of a keep-alive
    request), ``CARBONPEAK_HTTP_BODY_TIMEOUT_S`` (the longest pause while a body comes in),
    ``CARBONPEAK_HTTP_KEEPALIVE_S`` (an idle keep-alive connection is closed after this),
    ``CARBONPEAK_HTTP_MAX_CONNECTIONS_PER_CLIENT`` (open connections from one address, per
    worker; trusted proxies are exempt), ``CARBONPEAK_HTTP_MAX_CONNECTIONS`` (connections and
    requests per worker; more are answered 503), ``CARBONPEAK_LOG_LINES_PER_SECOND`` (the
    server log's rate per stream after a burst of ten seconds' worth; the rest is counted and
    reported, not written) and ``CARBONPEAK_TRUSTED_PROXIES`` (comma-separated addresses or
    networks whose ``X-Forwarded-For`` is believed; none by default).
    ``CARBONPEAK_MAP_TILE_URL`` (an intranet raster tile URL such as
    ``https://tiles.example.gov.cn/{z}/{x}/{y}.png``; none by default: the map draws the
    district's own GeoJSON only) and ``CARBONPEAK_VENDOR_DIR`` (the npm ``node_modules`` the
    dashboard's libraries are served from; default ``frontend/node_modules`` of the checkout).

    Plausibility: ``CARBONPEAK_PLAUSIBILITY_CEILINGS`` (JSON, carrier → the most an entity uses
    in an hour, canonical unit) overrides the carriers' ceilings readings are refused above.

    MQTT ingester: ``CARBONPEAK_MQTT_USERNAME``/``_PASSWORD``, ``CARBONPEAK_MQTT_CA_FILE``,
    ``CARBONPEAK_MQTT_CERT_FILE``/``_KEY_FILE`` (client certificate).

    Spark (``account --engine spark``): ``CARBONPEAK_SPARK_MASTER`` (``local[n]``, default
    ``local[2]``; ``spark://host:7077``, ``yarn``, ``k8s://…``; or a Spark Connect URL
    ``sc://host:15002``) and ``CARBONPEAK_SPARK_CONF`` (JSON, extra ``spark.*`` settings such
    as the hadoop-aws connector and S3 credentials); see docs/scale.md.

    Lake: ``CARBONPEAK_LAKE_URL`` puts the lake's dataset files on an S3-compatible object
    store (``s3://bucket/prefix``) or another folder (an absolute path, e.g. a shared mount);
    default: ``$CARBONPEAK_HOME/lake``. ``CARBONPEAK_S3_ENDPOINT`` (e.g.
    ``http://minio.intranet:9000``; default: AWS itself or ``AWS_ENDPOINT_URL``) and
    ``CARBONPEAK_S3_REGION`` (default ``AWS_REGION``, ``AWS_DEFAULT_REGION``, ``us-east-1``);
    the credentials come from the usual AWS variables, files or instance profile, never from
    here. The lock and the derived files stay under the home; see docs/scale.md.

    DuckDB (the account's default engine): ``CARBONPEAK_DUCKDB_MEMORY_LIMIT`` (DuckDB's
    ``memory_limit``, e.g. ``6GB``; default DuckDB's own, 80% of the RAM) and
    ``CARBONPEAK_DUCKDB_TEMP_DIRECTORY`` (where it spills what does not fit; default DuckDB's
    own, ``.tmp`` beside the database, i.e. in the working folder for the in-memory one).
    """

    model_config = SettingsConfigDict(env_prefix="CARBONPEAK_", extra="ignore")

    home: Path = Field(default=Path("carbonpeak-data"))
    database_url: str | None = None
    notify_webhook_url: str | None = None
    notify_email_to: str | None = None
    notify_min_level: str = Field(default="yellow", pattern="^(yellow|red)$")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_from: str = "carbonpeak@localhost"
    warning_yellow_at: float = Field(default=0.95, gt=0)
    warning_red_at: float = Field(default=1.0, gt=0)
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    session_idle_minutes: float = Field(default=120.0, gt=0)
    cookie_secure: bool | None = None
    login_max_failures: int = Field(default=5, ge=1)
    login_max_failures_per_client: int = Field(default=20, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    login_delay_after: int = Field(default=10, ge=0)
    login_delay_max_seconds: float = Field(default=300.0, gt=0)
    max_body_kb: int = Field(default=1024, ge=4, le=1024 * 1024)
    max_upload_mb: int = Field(default=64, ge=1, le=4096)
    http_header_timeout_s: float = Field(default=10.0, gt=0, le=600)
    http_body_timeout_s: float = Field(default=30.0, gt=0, le=3600)
    http_keepalive_s: float = Field(default=5.0, gt=0, le=600)
    http_max_connections_per_client: int = Field(default=32, ge=1)
    http_max_connections: int = Field(default=900, ge=1)
    # worker processes of `carbonpeak serve --workers N` (it sets CARBONPEAK_HTTP_WORKERS for
    # them): the per-client connection limit is shared out among them
    http_workers: int = Field(default=1, ge=1, le=256)
    log_lines_per_second: float = Field(default=20.0, gt=0)
    trusted_proxies: str = Field(default="", pattern=r"^[0-9A-Fa-f.:/, ]*$")
    map_tile_url: str | None = Field(default=None, pattern=r"^https?://[^\s\"'<>]+$")
    vendor_dir: Path | None = None
    # carrier -> the most an entity uses in an hour (canonical unit); overrides the defaults
    # of carbonpeak.domain.plausibility.HOURLY_CEILINGS. CARBONPEAK_PLAUSIBILITY_CEILINGS is
    # JSON, e.g. {"electricity": 5e6}
    plausibility_ceilings: dict[str, float] = Field(default_factory=dict)
    spark_master: str | None = Field(default=None, max_length=512)
    spark_conf: dict[str, str] = Field(default_factory=dict)
    # where the lake's dataset files live (docs/scale.md): s3://bucket/prefix or a folder
    lake_url: str | None = Field(default=None, pattern=_LAKE_URL)
    s3_endpoint: str | None = Field(default=None, pattern=r"^https?://[^\s/]+/?$")
    s3_region: str | None = Field(default=None, max_length=64)
    # the account's DuckDB: its memory cap (out of core beyond it) and where it spills
    duckdb_memory_limit: str | None = Field(
        default=None, pattern=r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$")
    duckdb_temp_directory: Path | None = None
    # how `carbonpeak ingest mqtt` signs in to the broker (docs/feeds.md): user and password,
    # and/or TLS with a CA file and a client certificate and key
    mqtt_username: str | None = None
    mqtt_password: str | None = None
    mqtt_ca_file: str | None = None
    mqtt_cert_file: str | None = None
    mqtt_key_file: str | None = None

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: str) -> str:
        for p in v.split(","):
            if p.strip():
                ip_network(p.strip(), strict=False)  # a ValueError names the bad one
        return v

    @property
    def proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """``trusted_proxies`` as networks (an address is a network of one)."""
        return tuple(ip_network(p.strip(), strict=False)
                     for p in self.trusted_proxies.split(",") if p.strip())

    def is_trusted_proxy(self, host: str) -> bool:
        """Whether a peer address is one of the configured proxies."""
        try:
            addr = ip_address(host)
        except ValueError:
            return False
        return any(addr in net for net in self.proxy_networks)

    @property
    def lake_dir(self) -> Path:
        """Root of the Parquet readings lake."""
        return self.home / "lake"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the registry."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'registry.sqlite').resolve()}"
