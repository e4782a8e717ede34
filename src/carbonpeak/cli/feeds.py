"""CLI commands for users and tokens, the API server, and the MQTT ingester.

Registered on the main ``carbonpeak`` app by :mod:`carbonpeak.cli`.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.table import Table

from carbonpeak.cli.common import (
    DistrictOpt,
    _errors,
    _ws,
    app,
    console,
    err,
    heads,
    lbl,
    say,
    t,
)
from carbonpeak.errors import CarbonPeakError
from carbonpeak.intake.batches import BatchResult
from carbonpeak.services.access.auth import set_password
from carbonpeak.services.access.users import (
    create_user,
    issue_token,
    list_users,
    principal_for,
    revoke_token,
    set_active,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import ROLES
from carbonpeak.vocabulary import Role

__all__ = ["ingest_app", "users_app"]

users_app = typer.Typer(help="Users, roles and API tokens (用户与令牌).", no_args_is_help=True)
ingest_app = typer.Typer(help="Machine feeds (数据接入): MQTT.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(ingest_app, name="ingest")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login or client name")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    entity: Annotated[list[str] | None, typer.Option(
        "--entity", "-e", help="Entity the user is registered for (repeatable); required "
        "for entity_manager and data_feeder")] = None,
    street: Annotated[str | None, typer.Option(help="Street (street_officer)")] = None,
    org: Annotated[str | None, typer.Option(
        help="Organisation (department_officer, aggregator, project_developer)")] = None,
    city: Annotated[str | None, typer.Option(
        help="City (city_analyst: reads the roll-ups of every district of its city)")] = None,
    name: Annotated[str, typer.Option(help="Display name")] = "",
    token: Annotated[bool, typer.Option(
        "--token/--no-token", help="Issue an API token now (shown once)")] = False,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the sign-in password from standard input (first "
        "line); without it the user can only use tokens until `users passwd`")] = False,
    district: DistrictOpt = None,
) -> None:
    """Register a user; ``--password-stdin`` sets a sign-in password for the dashboard,
    ``--token`` issues a bearer token for a machine client."""
    with _errors():
        password = _read_password(prompt=False) if password_stdin else None
        ws = _ws()
        try:
            create_user(ws, username, role, district=district, street=street,
                        entities=list(entity or []), display_name=name, password=password,
                        org=org, city=city)
            say("cli.users.registered", user=username, role=lbl("role", role))
            if token:
                _print_token(issue_token(ws, username, name="cli").token)
        finally:
            ws.close()


def _read_password(*, prompt: bool) -> str:
    if prompt and sys.stdin.isatty():
        first = str(typer.prompt(t("cli.users.password"), hide_input=True))
        if first != typer.prompt(t("cli.users.again"), hide_input=True):
            say("cli.users.differ", to_err=True)
            raise typer.Exit(2)
        return first
    return sys.stdin.readline().rstrip("\r\n")


@users_app.command("passwd")
def users_passwd(
    username: Annotated[str, typer.Argument()],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input instead of asking")]
        = False,
) -> None:
    """Set a user's sign-in password (Argon2id); the user's open sessions end."""
    with _errors():
        password = _read_password(prompt=not password_stdin)
        ws = _ws()
        try:
            set_password(ws, username, password)
            say("cli.users.password_set", user=username)
        finally:
            ws.close()


@users_app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument()]) -> None:
    """Deactivate a user: sign-in, sessions and tokens stop working at once."""
    with _errors():
        ws = _ws()
        try:
            set_active(ws, username, False)
            say("cli.users.deactivated", user=username)
        finally:
            ws.close()


@users_app.command("activate")
def users_activate(username: Annotated[str, typer.Argument()]) -> None:
    """Activate a deactivated user again."""
    with _errors():
        ws = _ws()
        try:
            set_active(ws, username, True)
            say("cli.users.activated", user=username)
        finally:
            ws.close()


def _print_token(token: str) -> None:
    say("cli.users.token")
    console.print(token, soft_wrap=True, highlight=False)


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="What the token is for")] = "",
    expires_days: Annotated[int | None, typer.Option(help="Expire after N days")] = None,
) -> None:
    """Issue a new bearer token for a user (the token is shown once)."""
    with _errors():
        ws = _ws()
        try:
            _print_token(issue_token(ws, username, name=name, expires_days=expires_days).token)
        finally:
            ws.close()


@users_app.command("revoke")
def users_revoke(prefix: Annotated[str, typer.Argument(help="Token prefix (users list)")]) -> None:
    """Revoke a token by its prefix."""
    with _errors():
        ws = _ws()
        try:
            revoke_token(ws, prefix)
            say("cli.users.revoked", prefix=prefix)
        finally:
            ws.close()


@users_app.command("list")
def users_list() -> None:
    """Users with their role, scope and tokens."""
    with _errors():
        ws = _ws()
        try:
            table = Table(*heads("user", "role", "district", "street", "entities_of", "sign_in",
                                 "tokens"))
            for u in list_users(ws):
                toks = u["tokens"]
                assert isinstance(toks, list)
                ents = u["entities"]
                assert isinstance(ents, list)
                table.add_row(str(u["username"]), lbl("role", str(u["role"])), str(u["district"]),
                              str(u["street_id"] or ""), ", ".join(ents),
                              t("cli.users.by_password" if u["has_password"]
                                else "cli.users.tokens_only")
                              + ("" if u["active"] else t("cli.users.inactive")),
                              ", ".join(f"{k['prefix']}"
                                        f"{t('cli.users.token_revoked') if k['revoked'] else ''}"
                                        for k in toks))
            console.print(table)
        finally:
            ws.close()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    public: Annotated[bool, typer.Option(
        "--public", help="Listen on every interface (0.0.0.0); refused while users with the "
        "demo's published password exist")] = False,
) -> None:
    """Serve the dashboard (/) and the HTTP API (/api/v1) with uvicorn.

    Connections are bounded (CARBONPEAK_HTTP_*: head and body timeouts, keep-alive, open
    connections per client and in all; docs/security.md)."""
    import uvicorn

    from carbonpeak.api.server import uvicorn_options
    from carbonpeak.services.access.users import demo_password_users

    with _errors():
        ws = _ws()  # refuse early when the registry is not initialised
        try:
            demo = demo_password_users(ws)
            settings = ws.settings
        finally:
            ws.close()
        if demo and public:
            say("cli.serve.refused", "bold red", to_err=True, n=len(demo), users=", ".join(demo))
            raise typer.Exit(2)
        if demo:
            err.print(f"[bold red on yellow] {t('cli.serve.warning')} [/] ", end="")
            say("cli.serve.demo_users", "bold red", to_err=True, n=len(demo),
                users=", ".join(demo))
        if public:
            host = "0.0.0.0"  # noqa: S104 - asked for with --public
        say("cli.serve.on", host=host, port=port)
        # the workers uvicorn starts read their settings from the environment: tell them how
        # many share the per-client connection limit
        os.environ["CARBONPEAK_HTTP_WORKERS"] = str(max(workers, 1))
        uvicorn.run("carbonpeak.api.app:create_app",
                    **uvicorn_options(settings, host=host, port=port, workers=workers))


@ingest_app.command("mqtt")
def ingest_mqtt(
    broker: Annotated[str, typer.Option(help="mqtt://host:port")] = "mqtt://127.0.0.1:1883",
    client_id: Annotated[str | None, typer.Option(
        help="MQTT client id; keep it stable so the broker keeps unacknowledged messages "
        "for this ingester across restarts")] = None,
    batch_size: Annotated[int, typer.Option(help="Store a batch at this many messages")] = 5000,
    batch_seconds: Annotated[float, typer.Option(help="…or after this many seconds")] = 1.0,
    as_user: Annotated[str | None, typer.Option(
        "--as", help="Write as this user (its scope limits the meters accepted); default: "
        "the whole district")] = None,
    district: DistrictOpt = None,
) -> None:
    """Subscribe to carbonpeak/readings/{gateway}/{meter_id}; store in batches, one per
    gateway, each written as that gateway's user; ack after storing. Signs in to the broker
    with CARBONPEAK_MQTT_USERNAME/_PASSWORD and/or a client certificate (docs/feeds.md)."""
    from carbonpeak.intake.mqtt import MqttAuth, MqttIngester
    from carbonpeak.storage.principals import writable_entities

    with _errors():
        ws = _ws()
        d = ws.district(district)
        st = ws.settings
        auth = MqttAuth(st.mqtt_username, st.mqtt_password, st.mqtt_ca_file,
                        st.mqtt_cert_file, st.mqtt_key_file)

        def gateway(name: str) -> Principal | None:
            try:
                p = principal_for(ws, name)
            except CarbonPeakError:
                return None  # not a user: it may write nothing
            return p if p.district_id == d.id else None
        principal = Principal(0, "mqtt", Role.DISTRICT_ADMIN, d.id) if as_user is None \
            else principal_for(ws, as_user)
        say("cli.mqtt.start", district=d.id, n=len(writable_entities(ws, principal)),
            broker=broker)

        def report(r: BatchResult) -> None:
            say("cli.mqtt.batch", batch=r.batch_id, stored=f"{r.accepted:,}",
                rejected=f"{r.rejected:,}", status=lbl("batch_status", r.status))

        ing = MqttIngester(ws, principal, broker=broker, client_id=client_id,
                           batch_size=batch_size, batch_seconds=batch_seconds, on_batch=report,
                           auth=auth, sender_principal=gateway)

        def _stop(_sig: int, _frame: FrameType | None) -> None:
            ing.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        try:
            stats = ing.run()
        finally:
            ws.close()
        say("cli.mqtt.stopped", received=f"{stats.received:,}", batches=stats.batches,
            stored=f"{stats.stored:,}", rejected=f"{stats.rejected:,}")
        if stats.errors:
            say("cli.mqtt.errors", to_err=True, n=len(stats.errors), last=stats.errors[-1])


@ingest_app.command("mqtt-acl")
def ingest_mqtt_acl(
    ingester: Annotated[str, typer.Option(
        help="The broker user of `carbonpeak ingest mqtt` (it may read every reading topic)")
    ] = "carbonpeak-ingest",
    out: Annotated[Path | None, typer.Option(help="Write the ACL file here (else print it)")
                   ] = None,
    district: DistrictOpt = None,
) -> None:
    """A Mosquitto acl_file from the registry: each gateway (data feeder or entity manager)
    may publish only carbonpeak/readings/<its user name>/<meter> for its entities' meters."""
    from carbonpeak.intake.mqtt import mosquitto_acl

    with _errors():
        ws = _ws()
        try:
            text = mosquitto_acl(ws, ws.district(district).id, ingester=ingester)
        finally:
            ws.close()
        if out is None:
            console.print(text, markup=False, highlight=False)
        else:
            out.write_text(text, encoding="utf-8")
            say("cli.wrote", path=str(out))
