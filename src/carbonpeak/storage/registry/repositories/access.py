"""The access capability's SQL: users, their entities and tokens, browser sessions, sign-in
attempts, and the access scope's conditions (the SQL filters every reader applies).

Security-critical: each statement is the one the access services ran before the move,
unchanged (same filters, order and limits).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, Row, delete, false, func, select
from sqlalchemy.orm import Session

from carbonpeak.storage.registry.models import (
    ApiToken,
    District,
    DrResource,
    EarlyWarning,
    Entity,
    LoginAttempt,
    Street,
    User,
    UserEntity,
    WebSession,
)
from carbonpeak.storage.registry.repositories.common import (  # re-exported
    Condition,
)

__all__ = [
    "Condition",
    "active_password_users",
    "api_token_by_hash",
    "api_token_by_prefix",
    "api_tokens_of_user",
    "delete_expired_sessions",
    "delete_login_attempt",
    "delete_sessions_of_user",
    "district_of_username",
    "dr_resource_condition",
    "entity_condition",
    "entity_ids_in_district",
    "entity_ids_of_street",
    "entity_ids_of_user",
    "entity_parents",
    "failed_attempt_count",
    "failed_attempts_of_client",
    "failed_attempts_of_username",
    "first_district_of_city",
    "password_hash_of",
    "street_condition",
    "street_named",
    "user_by_name",
    "user_id_by_name",
    "users_by_name",
    "warning_condition",
    "web_session_by_hash",
]


# -- the access scope's conditions ------------------------------------------------------------


def entity_condition(district_id: str, everything: bool, street_id: int | None,
                     entities: Collection[str]) -> Condition:
    """SQL condition on :class:`Entity` rows (their district included)."""
    in_district = Entity.district_id == district_id
    if everything:
        return in_district
    if street_id is not None:
        return in_district & (Entity.street_id == street_id)
    if entities:
        return in_district & Entity.id.in_(sorted(entities))
    return false()


def street_condition(district_id: str, everything: bool, street_id: int | None,
                     entities: Collection[str]) -> Condition:
    """SQL condition on :class:`Street` rows: all of the district, one street, or the streets
    the entities are in."""
    in_district = Street.district_id == district_id
    if everything:
        return in_district
    if street_id is not None:
        return in_district & (Street.id == street_id)
    if entities:
        return in_district & Street.id.in_(
            select(Entity.street_id).where(Entity.id.in_(sorted(entities))))
    return false()


def warning_condition(district_id: str, everything: bool, street_id: int | None,
                      entities: Collection[str]) -> Condition:
    """SQL condition on :class:`EarlyWarning` rows: a street's and its entities' warnings,
    or the entities'."""
    in_district = EarlyWarning.district_id == district_id
    if everything:
        return in_district
    if street_id is not None:
        return in_district & EarlyWarning.scope_type.in_(("street", "entity")) & (
            EarlyWarning.street_id == street_id)
    if entities:
        return in_district & (EarlyWarning.scope_type == "entity") & (
            EarlyWarning.scope_id.in_(sorted(entities)))
    return false()


def dr_resource_condition(district_id: str, everything: bool, aggregator: str | None,
                          entities: Collection[str]) -> Condition:
    """SQL condition on :class:`DrResource` rows: all of the district, an aggregator's own,
    or the entities'."""
    in_district = DrResource.district_id == district_id
    if everything:
        return in_district
    if aggregator is not None:
        return in_district & (DrResource.aggregator == aggregator)
    if entities:
        return in_district & DrResource.entity_id.in_(sorted(entities))
    return false()


def entity_ids_of_street(s: Session, district_id: str, street_id: int) -> list[str]:
    """The ids of the district's entities in street ``street_id``."""
    return list(s.scalars(select(Entity.id).where(
        Entity.district_id == district_id, Entity.street_id == street_id)))


def entity_parents(s: Session, district_id: str) -> Sequence[Row[str, str | None]]:
    """(entity id, parent id) of each of the district's entities."""
    return s.execute(
        select(Entity.id, Entity.parent_id).where(Entity.district_id == district_id)).all()


# -- users and tokens ------------------------------------------------------------------------


def user_by_name(s: Session, username: str) -> User | None:
    """The user ``username``, or None."""
    return s.scalars(select(User).where(User.username == username)).first()


def user_id_by_name(s: Session, username: str) -> int | None:
    """The id of user ``username``, or None."""
    return s.scalars(select(User.id).where(User.username == username)).first()


def password_hash_of(s: Session, username: str) -> str | None:
    """The password hash of user ``username`` (None: no such user, or no password)."""
    return s.scalars(select(User.password_hash).where(User.username == username)).first()


def district_of_username(s: Session, username: str) -> str | None:
    """The district of user ``username``, or None."""
    return s.scalars(select(User.district_id).where(User.username == username)).first()


def users_by_name(s: Session) -> list[User]:
    """Every user, by username."""
    return list(s.scalars(select(User).order_by(User.username)))


def active_password_users(s: Session) -> list[Row[str, str | None]]:
    """(username, password hash) of the active users with a password, by username."""
    return list(s.execute(select(User.username, User.password_hash).where(
        User.active.is_(True), User.password_hash.is_not(None)).order_by(User.username)))


def entity_ids_of_user(s: Session, user_id: int) -> list[str]:
    """The ids of the entities granted to user ``user_id``."""
    return list(s.scalars(select(UserEntity.entity_id).where(UserEntity.user_id == user_id)))


def street_named(s: Session, district_id: str, name: str) -> Street | None:
    """The district's street whose code, Chinese or English name is ``name``, or None."""
    return s.scalars(select(Street).where(Street.district_id == district_id).where(
        (Street.code == name) | (Street.name_zh == name)
        | (Street.name_en == name))).first()


def entity_ids_in_district(s: Session, ids: Sequence[str], district_id: str) -> set[str]:
    """Those of ``ids`` that are entities of the district."""
    return set(s.scalars(select(Entity.id).where(Entity.id.in_(ids),
                                                 Entity.district_id == district_id)))


def first_district_of_city(s: Session, city_id: str) -> str | None:
    """The city's first district (by code), or None."""
    return s.scalar(select(District.id).where(District.city_id == city_id).order_by(
        District.id).limit(1))


def api_token_by_prefix(s: Session, prefix: str) -> ApiToken | None:
    """The token whose prefix is ``prefix``, or None."""
    return s.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first()


def api_token_by_hash(s: Session, token_hash: str) -> ApiToken | None:
    """The token whose SHA-256 is ``token_hash``, or None."""
    return s.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash)).first()


def api_tokens_of_user(s: Session, user_id: int) -> list[ApiToken]:
    """The tokens of user ``user_id``, in order of issue."""
    return list(s.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                          .order_by(ApiToken.id)))


# -- sign-in attempts and browser sessions -----------------------------------------------------


def _failed(after: dt.datetime, before_id: int | None) -> list[ColumnElement[bool]]:
    failed = [LoginAttempt.success.is_(False), LoginAttempt.at > after]
    if before_id is not None:
        failed.append(LoginAttempt.id < before_id)
    return failed


def failed_attempts_of_client(s: Session, client: str, after: dt.datetime, limit: int, *,
                              before_id: int | None = None) -> list[dt.datetime]:
    """The times of the client's failed attempts after ``after`` (with ``before_id``: those
    recorded before that attempt), newest first, at most ``limit``."""
    return list(s.scalars(select(LoginAttempt.at).where(
        LoginAttempt.client == client, *_failed(after, before_id))
        .order_by(LoginAttempt.at.desc()).limit(limit)))


def failed_attempts_of_username(s: Session, username: str, after: dt.datetime, limit: int, *,
                                before_id: int | None = None) -> list[dt.datetime]:
    """The times of the failed attempts on ``username`` after ``after`` (with ``before_id``:
    those recorded before that attempt), newest first, at most ``limit``."""
    return list(s.scalars(select(LoginAttempt.at).where(
        LoginAttempt.username == username, *_failed(after, before_id))
        .order_by(LoginAttempt.at.desc()).limit(limit)))


def failed_attempt_count(s: Session, username: str, client: str, after: dt.datetime, *,
                         before_id: int | None = None) -> int | None:
    """How many failed attempts the client made on ``username`` after ``after`` (with
    ``before_id``: before that attempt)."""
    return s.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == username, LoginAttempt.client == client,
        *_failed(after, before_id)))


def delete_login_attempt(s: Session, attempt_id: int) -> None:
    """Delete the attempt ``attempt_id``."""
    s.execute(delete(LoginAttempt).where(LoginAttempt.id == attempt_id))


def web_session_by_hash(s: Session, session_hash: str) -> WebSession | None:
    """The browser session whose cookie's SHA-256 is ``session_hash``, or None."""
    return s.scalars(select(WebSession).where(WebSession.session_hash == session_hash)).first()


def delete_expired_sessions(s: Session, now: dt.datetime) -> None:
    """Delete every browser session expired at ``now``."""
    s.execute(delete(WebSession).where(WebSession.expires_at <= now))


def delete_sessions_of_user(s: Session, user_id: int) -> int:
    """Delete every browser session of user ``user_id``; how many there were."""
    ids = list(s.scalars(select(WebSession.id).where(WebSession.user_id == user_id)))
    if ids:
        s.execute(delete(WebSession).where(WebSession.id.in_(ids)))
    return len(ids)
