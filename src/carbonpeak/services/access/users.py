"""Users, their scope, and bearer tokens for machine clients.

中文：用户、角色范围与机器客户端令牌。

A token is shown once when issued (``cpk_<prefix>_<secret>``); the registry keeps only its
SHA-256, so a stolen database does not give working tokens. Tokens are high-entropy random
strings (256 bits), which is why a fast hash is enough for them; people's passwords are a
different matter and are never stored this way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from carbonpeak.errors import (
    AccessDenied,
    ConflictError,
    InputValidationError,
    NotFoundError,
    RowError,
)
from carbonpeak.i18n import label, msg
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import (
    ROLES,
    ApiToken,
    City,
    User,
    UserEntity,
    utcnow,
)
from carbonpeak.storage.registry.repositories import access as repo
from carbonpeak.storage.workspace import Workspace, audit
from carbonpeak.vocabulary import CITY_ROLES, ENTITY_ROLES, ORG_ROLES, Role

__all__ = [
    "DEMO_PASSWORD",
    "MIN_PASSWORD_LENGTH",
    "IssuedToken",
    "authenticate_token",
    "create_user",
    "demo_password_users",
    "is_common_password",
    "issue_token",
    "hash_password",
    "list_users",
    "password_hasher",
    "principal_for",
    "principal_of",
    "set_active",
    "revoke_token",
]

MIN_PASSWORD_LENGTH = 12
#: the password ``carbonpeak demo`` gives its users and prints: published, so a served
#: instance warns while a user has it, and ``serve --public`` refuses to start
DEMO_PASSWORD = "carbonpeak-demo"  # noqa: S105
MAX_PASSWORD_LENGTH = 256
#: Argon2id with argon2-cffi's defaults (RFC 9106, second recommended parameter set)
password_hasher = PasswordHasher()

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
_TOKEN = re.compile(r"^cpk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,100})$")


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token; ``token`` is never stored and cannot be shown again."""

    token: str
    token_id: int
    username: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (``common-passwords.txt`` next to this module,
    its origin in its header), case-folded."""
    path = Path(__file__).with_name("common-passwords.txt")
    return frozenset(line.strip().casefold() for line in
                     path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


_PADDING = string.digits + string.punctuation + string.whitespace
_RUNS = "0123456789" * 4 + "9876543210" * 4 + "abcdefghijklmnopqrstuvwxyz" * 2 + "qwertyuiop" * 3


def is_common_password(password: str) -> bool:
    """Whether ``password`` is guessable from the common list: one of it, one of it with
    digits, symbols or spaces before or after, one of it repeated (``qwertyqwerty``), at most
    two distinct characters, or a run of digits, letters or keys (``123456789012``)."""
    p = password.casefold()
    core = p.strip(_PADDING)
    if len(set(p)) <= 2 or p in _RUNS or core in _RUNS:
        return True
    candidates = {p, core}
    for n in range(1, len(core) // 2 + 1):  # the shortest unit that repeats to the core
        if len(core) % n == 0 and core[:n] * (len(core) // n) == core:
            candidates.add(core[:n])
            candidates.add(core[:n].strip(_PADDING))
            break
    return bool(candidates & common_passwords())


def hash_password(password: str) -> str:
    """The Argon2id hash of ``password`` (after the policy: 12-256 characters, and not
    :func:`is_common_password`).

    Raises
    ------
    InputValidationError
        Shorter than :data:`MIN_PASSWORD_LENGTH`, longer than 256 characters, or common.
    """
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InputValidationError([RowError(
            "users", None, "password", None,
            msg("access.password.length", min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH))])
    if is_common_password(password):
        raise InputValidationError([RowError(
            "users", None, "password", None, msg("access.password.common"))])
    return password_hasher.hash(password)


def create_user(ws: Workspace, username: str, role: str, *, district: str | None = None,
                street: str | None = None, entities: list[str] | None = None,
                display_name: str = "", password: str | None = None,
                org: str | None = None, city: str | None = None) -> int:
    """Register a user with one role; entity managers and feeders name their entities,
    department officers, aggregators and project developers the organisation (``org``) they
    act for, and a city analyst its city (``city``; its user row names the city's first
    district, which grants it nothing of that district).

    Raises
    ------
    InputValidationError
        Bad username, unknown role, a scope that does not fit the role.
    ConflictError
        The username is taken.
    """
    errors: list[RowError] = []
    if not _USERNAME.match(username):
        errors.append(RowError("users", None, "username", username,
                                i18n_msg("access.user.username")))
    if role not in ROLES:
        errors.append(RowError("users", None, "role", role,
                                i18n_msg("intake.cell.not_one_of", allowed=", ".join(ROLES))))
    entities = sorted(set(entities or []))
    if role in ENTITY_ROLES and not entities:
        errors.append(RowError("users", None, "entities", None,
                                i18n_msg("access.user.entities_required",
                                         role=label("role", role))))
    if role == Role.STREET_OFFICER and not street:
        errors.append(RowError("users", None, "street", None,
                                i18n_msg("access.user.street_required")))
    if role in ORG_ROLES and not (org or "").strip():
        errors.append(RowError("users", None, "org", None,
                                i18n_msg("access.user.org_required", role=label("role", role))))
    if role in CITY_ROLES and not (city or "").strip():
        errors.append(RowError("users", None, "city", None,
                                i18n_msg("city.user.city_required", role=label("role", role))))
    if errors:
        raise InputValidationError(errors)
    hashed = hash_password(password) if password is not None else None
    city_id = _city_of_user(ws, city) if role in CITY_ROLES and city else None
    d = ws.district(city_id[1] if city_id else district)
    with ws.registry.session() as s:
        if repo.user_id_by_name(s, username) is not None:
            msg = f"user {username!r} already exists"
            raise ConflictError(msg)
        street_id = None
        if street:
            st = repo.street_named(s, d.id, street)
            if st is None:
                msg = f"no street {street!r} in district {d.id}"
                raise NotFoundError(msg)
            street_id = st.id
        found = repo.entity_ids_in_district(s, entities, d.id)
        missing = [e for e in entities if e not in found]
        if missing:
            msg = f"no entity {', '.join(missing)} in district {d.id}"
            raise NotFoundError(msg)
        org_code = org.strip() if org and role in ORG_ROLES else None
        user = User(username=username, role=role, district_id=d.id, street_id=street_id,
                    org_code=org_code, display_name=display_name, active=True,
                    password_hash=hashed, city_id=city_id[0] if city_id else None)
        s.add(user)
        s.flush()
        s.add_all(UserEntity(user_id=user.id, entity_id=e) for e in entities)
        audit(s, ws.actor, "create", "user", username,
              {"role": role, "district": d.id, "street_id": street_id, "entities": entities,
               "org": org_code, "city": city_id[0] if city_id else None},
              district=d.id)
        return int(user.id)


def _city_of_user(ws: Workspace, city: str) -> tuple[str, str]:
    """The city ``city`` and its first district (by code).

    Raises
    ------
    NotFoundError
        No such city, or a city without districts.
    """
    with ws.registry.session() as s:
        found = s.get(City, city.strip())
        first = repo.first_district_of_city(s, city.strip())
    if found is None or first is None:
        msg = f"no city {city!r} with districts; run `carbonpeak init --city CODE`"
        raise NotFoundError(msg)
    return found.id, str(first)


def issue_token(ws: Workspace, username: str, *, name: str = "",
                expires_days: int | None = None) -> IssuedToken:
    """Issue a bearer token for ``username``; the plain token is returned once."""
    prefix = secrets.token_hex(4)
    token = f"cpk_{prefix}_{secrets.token_urlsafe(32)}"
    with ws.registry.session() as s:
        user = repo.user_by_name(s, username)
        if user is None:
            msg = f"no user {username!r}"
            raise NotFoundError(msg)
        expires = utcnow() + dt.timedelta(days=expires_days) if expires_days else None
        rec = ApiToken(user_id=user.id, name=name, token_hash=_hash(token), prefix=prefix,
                       expires_at=expires)
        s.add(rec)
        s.flush()
        audit(s, ws.actor, "create", "api_token", str(rec.id),
              {"user": username, "prefix": prefix, "name": name,
               "expires_at": expires.isoformat() if expires else None}, district=user.district_id)
        return IssuedToken(token, int(rec.id), username)


def revoke_token(ws: Workspace, prefix: str) -> None:
    """Revoke the token whose prefix is ``prefix`` (as ``users list`` shows it)."""
    with ws.registry.session() as s:
        rec = repo.api_token_by_prefix(s, prefix)
        if rec is None:
            msg = f"no token with prefix {prefix!r}"
            raise NotFoundError(msg)
        rec.revoked_at = utcnow()
        owner = s.get(User, rec.user_id)
        audit(s, ws.actor, "revoke", "api_token", str(rec.id), {"prefix": prefix},
              district=owner.district_id if owner else None)


def authenticate_token(ws: Workspace, token: str) -> Principal:
    """The principal of a bearer token.

    Raises
    ------
    AccessDenied
        Malformed, unknown, revoked or expired token, or an inactive user (one message for
        all, so a caller learns nothing about which).
    """
    denied = AccessDenied(i18n_msg("error.auth.invalid_token"))
    if not _TOKEN.match(token):
        raise denied
    now = utcnow()
    with ws.registry.session() as s:
        rec = repo.api_token_by_hash(s, _hash(token))
        if rec is None or rec.revoked_at is not None or (
                rec.expires_at is not None and rec.expires_at <= now):
            raise denied
        user = s.get(User, rec.user_id)
        if user is None or not user.active:
            raise denied
        if rec.last_used_at is None or (now - rec.last_used_at) > dt.timedelta(minutes=1):
            rec.last_used_at = now  # at most one write a minute per token
        return principal_of(s, user)


def principal_for(ws: Workspace, username: str) -> Principal:
    """The principal of an active user, by name (for processes acting as a user).

    Raises
    ------
    NotFoundError
        No such user, or the user is inactive.
    """
    with ws.registry.session() as s:
        user = repo.user_by_name(s, username)
        if user is None or not user.active:
            msg = f"no active user {username!r}"
            raise NotFoundError(msg)
        return principal_of(s, user)


def principal_of(s: Session, user: User) -> Principal:
    """The principal of a registered user (inside an open registry session)."""
    entities = frozenset(repo.entity_ids_of_user(s, user.id))
    return Principal(int(user.id), user.username, user.role, user.district_id,
                     user.street_id, entities, user.org_code, user.city_id)


def list_users(ws: Workspace) -> list[dict[str, object]]:
    """Every user with role, scope and tokens (prefixes only)."""
    with ws.registry.session() as s:
        out: list[dict[str, object]] = []
        for u in repo.users_by_name(s):
            ents = sorted(repo.entity_ids_of_user(s, u.id))
            toks = [{"prefix": t.prefix, "name": t.name,
                     "revoked": t.revoked_at is not None,
                     "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}
                    for t in repo.api_tokens_of_user(s, u.id)]
            out.append({"username": u.username, "display_name": u.display_name,
                        "role": u.role, "district": u.district_id,
                        "street_id": u.street_id, "org": u.org_code, "entities": ents,
                        "active": u.active,
                        "has_password": u.password_hash is not None,
                        "created_at": u.created_at.isoformat(), "tokens": toks})
        return out


def set_active(ws: Workspace, username: str, active: bool) -> None:
    """Activate or deactivate a user; a deactivated user's sessions and tokens stop working
    at once (they are checked on every request)."""
    with ws.registry.session() as s:
        user = repo.user_by_name(s, username)
        if user is None:
            msg = f"no user {username!r}"
            raise NotFoundError(msg)
        if user.active != active:
            user.active = active
            audit(s, ws.actor, "activate" if active else "deactivate", "user", username, {},
                  district=user.district_id)


def demo_password_users(ws: Workspace) -> list[str]:
    """Active users whose password is the demo's published one (checked against each hash)."""
    with ws.registry.session() as s:
        rows = repo.active_password_users(s)
    found = []
    for name, stored in rows:
        try:
            if stored and password_hasher.verify(stored, DEMO_PASSWORD):
                found.append(name)
        except (VerificationError, InvalidHashError):
            continue
    return found
