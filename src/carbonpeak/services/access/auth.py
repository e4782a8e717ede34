"""Passwords, browser sessions and sign-in rate limiting.

中文：口令（Argon2id 哈希）、浏览器会话与登录限流。

* Passwords are hashed with Argon2id (``argon2-cffi``'s defaults, RFC 9106's second
  recommended parameter set); a hash made with older parameters is upgraded at the next sign-in.
* A session is a random 256-bit cookie value; the registry keeps only its SHA-256, with a
  CSRF token that the page sends back in ``X-CSRF-Token`` on every change (double submit,
  checked against the server's copy).
* Failed sign-ins are recorded and throttled per client address (a growing delay, then a
  hard limit) and per account (a soft limit that refuses only the clients that failed on
  it, so anonymous guesses cannot lock a user out): :func:`_wait`. A refused attempt
  (:class:`RateLimited`) is not checked. Failed sign-ins are audit-logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
from dataclasses import dataclass

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from carbonpeak.errors import (
    AuthenticationError,
    NotFoundError,
    RateLimited,
)
from carbonpeak.i18n import msg as i18n_msg
from carbonpeak.services.access.users import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    password_hasher,
    principal_of,
)
from carbonpeak.storage.principals import Principal
from carbonpeak.storage.registry.models import LoginAttempt, User, WebSession, utcnow
from carbonpeak.storage.registry.repositories import access as repo
from carbonpeak.storage.workspace import Workspace, audit

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SignIn",
    "end_session",
    "end_user_sessions",
    "hash_password",
    "session_principal",
    "set_password",
    "sign_in",
    "verify_password",
]

# verified when the username is unknown, so that a miss costs as long as a wrong password
_DUMMY_HASH = password_hasher.hash(secrets.token_urlsafe(16))
_SESSION_TOUCH = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SignIn:
    """A new session: the cookie value (never stored) and its CSRF token."""

    session_token: str
    csrf_token: str
    principal: Principal
    expires_at: dt.datetime


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_password(ws: Workspace, username: str, password: str) -> None:
    """Set (or replace) a user's password; every session of the user ends (audit-logged)."""
    hashed = hash_password(password)
    with ws.registry.session() as s:
        user = repo.user_by_name(s, username)
        if user is None:
            msg = f"no user {username!r}"
            raise NotFoundError(msg)
        user.password_hash = hashed
        ended = _delete_sessions(s, user.id)
        audit(s, ws.actor, "set_password", "user", username, {"sessions_ended": ended},
              district=user.district_id)


def verify_password(ws: Workspace, username: str, password: str, *, client: str = "") -> None:
    """Check a user's current password (for a password change); a wrong one counts as a
    failed sign-in, so a stolen session cannot be used to guess the password.

    Raises
    ------
    RateLimited
        Too many recent failures for this username or client.
    AuthenticationError
        Wrong password, or no password set.
    """
    attempt_id = _claim_attempt(ws, username, client[:64], utcnow())
    with ws.registry.session() as s:
        stored = repo.password_hash_of(s, username)
        try:
            if stored and password_hasher.verify(stored, password):
                attempt = s.get(LoginAttempt, attempt_id)
                if attempt is not None:
                    attempt.success = True
                return
        except (VerificationError, InvalidHashError):
            pass
        district = repo.district_of_username(s, username)
    _audit_failure(ws, "password_check_failed", username, client[:64], district)
    raise AuthenticationError(i18n_msg("error.auth.current_password_wrong"))


def _wait(ws: Workspace, username: str, client: str, now: dt.datetime,
          before_id: int | None = None) -> int | None:
    """Seconds this client must wait before trying ``username`` (None: it may try now).

    Counted over the failures of the window (with ``before_id``: those recorded before that
    attempt, pending ones included):

    * the client: after ``login_delay_after`` failures each further one doubles a delay
      (1 s, 2 s, 4 s … up to ``login_delay_max_seconds``) from its latest failure, and after
      ``login_max_failures_per_client`` it waits until they leave the window;
    * the account: after ``login_max_failures`` failures (a soft limit) it refuses the clients
      that failed on it until the failures leave the window, but not a client that did not:
      anonymous guesses cannot lock a user out, and each further guessing address gets one
      guess on the account.
    """
    st = ws.settings
    window = dt.timedelta(minutes=st.login_window_minutes)
    after = now - window
    until: list[dt.datetime] = []
    with ws.registry.session() as s:
        mine = repo.failed_attempts_of_client(s, client, after,
                                              st.login_max_failures_per_client,
                                              before_id=before_id)
        if len(mine) >= st.login_max_failures_per_client:
            until.append(mine[-1] + window)
        if len(mine) > st.login_delay_after:
            step = min(2.0 ** (len(mine) - st.login_delay_after - 1), st.login_delay_max_seconds)
            until.append(mine[0] + dt.timedelta(seconds=step))
        account = repo.failed_attempts_of_username(s, username, after, st.login_max_failures,
                                                   before_id=before_id)
        if len(account) >= st.login_max_failures and repo.failed_attempt_count(
                s, username, client, after, before_id=before_id):
            until.append(account[-1] + window)
    latest = max(until, default=None)
    if latest is None or latest <= now:
        return None
    return max(1, math.ceil((latest - now).total_seconds()))


def _limited(wait: int) -> RateLimited:
    return RateLimited(i18n_msg("error.auth.rate_limited", wait=wait), wait)


def _claim_attempt(ws: Workspace, username: str, client: str, now: dt.datetime) -> int:
    """Record an attempt as failed *before* the (slow) password check, then check again.

    Parallel guesses cannot all slip under the limits: the second check counts every attempt
    recorded before this one (pending ones as failures). A refused attempt is removed again
    (it was never checked), so waiting is enough. The id of the attempt is returned; a correct
    password marks it successful.
    """
    wait = _wait(ws, username, client, now)
    if wait is not None:
        raise _limited(wait)
    with ws.registry.session() as s:
        attempt = LoginAttempt(at=now, username=username, client=client, success=False)
        s.add(attempt)
        s.flush()
        attempt_id = int(attempt.id)
    wait = _wait(ws, username, client, now, before_id=attempt_id)
    if wait is not None:
        with ws.registry.session() as s:
            repo.delete_login_attempt(s, attempt_id)
        raise _limited(wait)
    return attempt_id


def sign_in(ws: Workspace, username: str, password: str, *, client: str = "") -> SignIn:
    """Check a username and password and open a session.

    Raises
    ------
    RateLimited
        Too many recent failures for this username or client; the password is not checked.
    AuthenticationError
        Unknown user, inactive user, no password set, or a wrong password (one message).
    """
    now = utcnow()
    client = client[:64]
    username = username[:64]
    attempt_id = _claim_attempt(ws, username, client, now)
    with ws.registry.session() as s:
        user = repo.user_by_name(s, username)
        stored = user.password_hash if user is not None else None
        ok = False
        try:
            ok = password_hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
        except (VerificationError, InvalidHashError):
            ok = False
        ok = ok and user is not None and user.active
        district = user.district_id if user is not None else None
        signed = None
        if ok and user is not None:
            signed = _open_session(s, user, password, stored, attempt_id, client, now,
                                   ws.settings.session_hours)
    if signed is None:
        _audit_failure(ws, "sign_in_failed", username, client, district)
        raise AuthenticationError(i18n_msg("error.auth.wrong_credentials"))
    return signed


def _audit_failure(ws: Workspace, action: str, username: str, client: str,
                   district: str | None) -> None:
    """Audit-log a failed sign-in (its own transaction; the actor is the client address:
    nobody is signed in). An unknown username belongs to no district."""
    with ws.registry.session() as s:
        audit(s, f"client:{client or 'unknown'}", action, "user", username, {"client": client},
              district=district)


def _open_session(s: Session, user: User, password: str, stored: str | None,
                  attempt_id: int, client: str, now: dt.datetime,
                  hours: float) -> SignIn:
    """The session of a correct sign-in (in the caller's transaction)."""
    attempt = s.get(LoginAttempt, attempt_id)
    if attempt is not None:
        attempt.success = True
    if stored is not None and password_hasher.check_needs_rehash(stored):
        user.password_hash = password_hasher.hash(password)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    expires = now + dt.timedelta(hours=hours)
    s.add(WebSession(user_id=user.id, session_hash=_sha(token), csrf_token=csrf,
                     created_at=now, expires_at=expires, last_seen_at=now, client=client))
    # expired sessions of anyone are cleared as sign-ins happen
    repo.delete_expired_sessions(s, now)
    audit(s, f"user:{user.username}", "sign_in", "user", user.username, {"client": client},
          district=user.district_id)
    principal = principal_of(s, user)
    return SignIn(token, csrf, principal, expires)


def session_principal(ws: Workspace, token: str) -> tuple[Principal, str]:
    """The principal and CSRF token of a live session.

    Raises
    ------
    AuthenticationError
        Unknown, expired or idle session, or the user is no longer active.
    """
    denied = AuthenticationError(i18n_msg("error.auth.not_signed_in"))
    if not token or len(token) > 128:
        raise denied
    now = utcnow()
    idle = dt.timedelta(minutes=ws.settings.session_idle_minutes)
    with ws.registry.session() as s:
        rec = repo.web_session_by_hash(s, _sha(token))
        if rec is None or rec.expires_at <= now or rec.last_seen_at + idle <= now:
            raise denied
        user = s.get(User, rec.user_id)
        if user is None or not user.active:
            raise denied
        if now - rec.last_seen_at > _SESSION_TOUCH:
            rec.last_seen_at = now  # at most one write a minute per session
        return principal_of(s, user), rec.csrf_token


def end_session(ws: Workspace, token: str) -> None:
    """Sign out: the session row is deleted (a no-op for an unknown token)."""
    with ws.registry.session() as s:
        rec = repo.web_session_by_hash(s, _sha(token))
        if rec is not None:
            user = s.get(User, rec.user_id)
            s.delete(rec)
            if user is not None:
                audit(s, f"user:{user.username}", "sign_out", "user", user.username, {},
                      district=user.district_id)


def end_user_sessions(ws: Workspace, username: str) -> int:
    """End every session of a user (deactivation, role change); the number ended."""
    with ws.registry.session() as s:
        user = repo.user_by_name(s, username)
        return _delete_sessions(s, user.id) if user is not None else 0


def _delete_sessions(s: Session, user_id: int) -> int:
    return repo.delete_sessions_of_user(s, user_id)
