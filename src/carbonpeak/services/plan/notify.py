"""Send early warnings out: a webhook (JSON POST) and/or e-mail. Off by default.

中文：预警推送（Webhook、电子邮件），默认关闭。

A warning event is sent when its level is at least ``notify_min_level`` and worse than the
level before (new, green → yellow, yellow → red). An event is marked ``notified`` only after
every configured channel accepted it; a failure is logged and the event is tried again at
the next evaluation.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from carbonpeak.config import Settings
from carbonpeak.vocabulary import WarningLevel

__all__ = ["LEVEL_RANK", "Notifier", "build_notifier", "should_notify"]

logger = logging.getLogger(__name__)

LEVEL_RANK: dict[str, int] = {lv.value: WarningLevel.alert_rank(lv) for lv in WarningLevel}


def should_notify(level: str, previous: str | None, min_level: str) -> bool:
    """True when ``level`` reaches ``min_level`` and is worse than ``previous``."""
    rank = LEVEL_RANK.get(level, 0)
    return rank >= LEVEL_RANK[min_level] and rank > LEVEL_RANK.get(previous or "", 0)


@dataclass
class Notifier:
    """The configured channels."""

    webhook_url: str | None
    email_to: list[str]
    smtp_host: str
    smtp_port: int
    smtp_from: str
    min_level: str
    timeout_s: float = 10.0

    def send(self, events: list[dict[str, Any]]) -> bool:
        """Send ``events`` (JSON-safe dicts) on every channel; True when all accepted them."""
        if not events:
            return True
        ok = True
        if self.webhook_url:
            try:
                r = httpx.post(self.webhook_url, json={"warnings": events},
                               timeout=self.timeout_s)
                r.raise_for_status()
            except httpx.HTTPError as exc:
                logger.warning("warning webhook %s failed: %s", self.webhook_url, exc)
                ok = False
        if self.email_to:
            try:
                self._email(events)
            except (OSError, smtplib.SMTPException) as exc:
                logger.warning("warning e-mail via %s:%s failed: %s", self.smtp_host,
                               self.smtp_port, exc)
                ok = False
        return ok

    def _email(self, events: list[dict[str, Any]]) -> None:
        worst = max(events, key=lambda e: LEVEL_RANK.get(e["level"], 0))
        msg = EmailMessage()
        msg["From"], msg["To"] = self.smtp_from, ", ".join(self.email_to)
        msg["Subject"] = (f"[carbonpeak] 预警 {len(events)} 条 / {len(events)} warning(s): "
                          f"{worst['level']} {worst['scope_name']}")
        lines = [f"[{e['level']}] {e['scope_name']} ({e['scope_type']} {e['scope_id']}), "
                 f"{e['year']}: {e['reason_zh']}\n    {e['reason_en']}" for e in events]
        msg.set_content("\n\n".join(lines) + "\n")
        with smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=self.timeout_s) as smtp:
            smtp.send_message(msg)


def build_notifier(settings: Settings) -> Notifier | None:
    """The notifier the settings configure, or ``None`` (the default: nothing is sent)."""
    to = [a.strip() for a in (settings.notify_email_to or "").split(",") if a.strip()]
    if not settings.notify_webhook_url and not to:
        return None
    return Notifier(settings.notify_webhook_url, to, settings.smtp_host, settings.smtp_port,
                    settings.smtp_from, settings.notify_min_level)
