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

from carbonpeak.cli.common import DistrictOpt, _errors, _ws, app, console, err
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
            console.print(f"user {username} ({role}) registered")
            if token:
                _print_token(issue_token(ws, username, name="cli").token)
        finally:
            ws.close()


def _read_password(*, prompt: bool) -> str:
    if prompt and sys.stdin.isatty():
        first = str(typer.prompt("password 口令", hide_input=True))
        if first != typer.prompt("again 再次输入", hide_input=True):
            err.print("the two passwords differ / 两次输入不一致")
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
            console.print(f"password of {username} set / 口令已设置")
        finally:
            ws.close()


@users_app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument()]) -> None:
    """Deactivate a user: sign-in, sessions and tokens stop working at once."""
    with _errors():
        ws = _ws()
        try:
            set_active(ws, username, False)
            console.print(f"user {username} deactivated / 已停用")
        finally:
            ws.close()


@users_app.command("activate")
def users_activate(username: Annotated[str, typer.Argument()]) -> None:
    """Activate a deactivated user again."""
    with _errors():
        ws = _ws()
        try:
            set_active(ws, username, True)
            console.print(f"user {username} activated / 已启用")
        finally:
            ws.close()


def _print_token(token: str) -> None:
    console.print("token (shown once; store it now) / 令牌（仅显示一次）:")
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
            console.print(f"token {prefix} revoked")
        finally:
            ws.close()


@users_app.command("list")
def users_list() -> None:
    """Users with their role, scope and tokens."""
    with _errors():
        ws = _ws()
        try:
            t = Table("user 用户", "role 角色", "district", "street", "entities 主体",
                      "sign-in 登录", "tokens 令牌")
            for u in list_users(ws):
                toks = u["tokens"]
                assert isinstance(toks, list)
                ents = u["entities"]
                assert isinstance(ents, list)
                t.add_row(str(u["username"]), str(u["role"]), str(u["district"]),
                          str(u["street_id"] or ""), ", ".join(ents),
                          ("password" if u["has_password"] else "tokens only")
                          + ("" if u["active"] else " (inactive 已停用)"),
                          ", ".join(f"{k['prefix']}{' (revoked)' if k['revoked'] else ''}"
                                    for k in toks))
            console.print(t)
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
            err.print(f"[bold red]refused 拒绝启动:[/] {len(demo)} user(s) still have the demo's "
                      f"published password 仍在使用演示口令的用户: {', '.join(demo)}. Change "
                      "their passwords or deactivate them (carbonpeak users …) before "
                      "serving publicly. 请先修改口令或停用这些用户。")
            raise typer.Exit(2)
        if demo:
            err.print(f"[bold red on yellow] WARNING 警告 [/][bold red] {len(demo)} user(s) "
                      f"sign in with the demo's published password 以下用户使用公开的演示口令: "
                      f"{', '.join(demo)}. Anyone who read the demo can sign in as them. "
                      "任何看过演示的人都能以其身份登录。[/]")
        if public:
            host = "0.0.0.0"  # noqa: S104 - asked for with --public
        console.print(f"carbonpeak dashboard 驾驶舱 on http://{host}:{port}/ "
                      f"(API docs: http://{host}:{port}/api/v1/docs)")
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
        console.print(f"MQTT ingest for {d.id} ({len(writable_entities(ws, principal))} "
                      f"entities) from {broker}; Ctrl-C stops after storing what it holds")

        def report(r: BatchResult) -> None:
            console.print(f"batch {r.batch_id}: {r.accepted:,} stored, {r.rejected:,} rejected"
                          f" ({r.status})")

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
        console.print(f"stopped: {stats.received:,} messages, {stats.batches} batches, "
                      f"{stats.stored:,} stored, {stats.rejected:,} rejected")
        if stats.errors:
            err.print(f"{len(stats.errors)} error(s); last: {stats.errors[-1]}")


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
            console.print(f"wrote {out}")
