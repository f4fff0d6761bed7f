"""Delivering the outbox: over SMTP when MAIL_SERVER is set (one message per recipient, one
connection per batch); otherwise the messages stay in the outbox table, where organizers
read them at /admin/outbox, and are marked delivered to the outbox.

Each step is its own committed transaction, so a crash anywhere leaves a state the next run
understands:

1. claim a batch (pending → claimed, with the scheduler's holder id);
2. MAIL FROM and RCPT TO, then mark the message *sending* just before its body goes out;
3. DATA; on the server's 250 mark it sent.

A claimed message never reached the server: after a crash it is simply sent again. A message
left *sending* may or may not have been accepted: it is sent again with the same Message-ID
and flagged as a possible duplicate (the README's "What is guaranteed" states it).
"""

import contextlib
import logging
import smtplib
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import NoReturn

import sqlalchemy as sa

from ..database import serialized_writes
from ..extensions import db
from .models import Delivery, OutboxMessage

log = logging.getLogger(__name__)
POLICY = SMTP.clone(cte_type="7bit")  # base64/QP bodies: fine for servers without 8BITMIME
# While the database cannot be reached (a restart, a fail-over) a state change is retried
# with back-off for at most this long; see Courier._persist.
DATABASE_PATIENCE_SECONDS = 60


@dataclass(frozen=True)
class MailSettings:
    server: str
    port: int
    use_tls: bool
    use_ssl: bool
    username: str
    password: str
    sender: str
    timeout: float
    batch_size: int
    retry_base: timedelta
    retry_max: timedelta
    uid_host: str

    @classmethod
    def from_config(cls, config) -> "MailSettings":
        return cls(
            server=config.get("MAIL_SERVER", ""),
            port=int(config.get("MAIL_PORT", 25)),
            use_tls=bool(config.get("MAIL_USE_TLS")),
            use_ssl=bool(config.get("MAIL_USE_SSL")),
            username=config.get("MAIL_USERNAME", ""),
            password=config.get("MAIL_PASSWORD", ""),
            sender=config.get("MAIL_DEFAULT_SENDER", "no-reply@scheduler.local"),
            timeout=float(config.get("MAIL_TIMEOUT_SECONDS", 20)),
            batch_size=int(config.get("MAIL_BATCH_SIZE", 50)),
            retry_base=timedelta(seconds=int(config.get("MAIL_RETRY_BASE_SECONDS", 60))),
            retry_max=timedelta(seconds=int(config.get("MAIL_RETRY_MAX_SECONDS", 6 * 3600))),
            uid_host=config.get("EVENT_UID_HOST", "scheduler.local"),
        )


@dataclass
class DeliveryReport:
    delivered: int = 0
    to_outbox: int = 0
    retrying: int = 0
    refused: int = 0
    released: int = 0
    errors: list[str] = field(default_factory=list)


class ConnectionBroken(Exception):
    """The SMTP connection is unusable: the rest of the batch waits for the next run."""


def backoff(attempts: int, base: timedelta, cap: timedelta) -> timedelta:
    """The wait after the n-th failed attempt: base, 2·base, 4·base, ... at most ``cap``."""
    if attempts < 1:
        return timedelta(0)
    return min(base * 2 ** min(attempts - 1, 30), cap)


def is_permanent(exc: Exception) -> bool:
    """A 5xx answer: the server refuses this message for good (no retry)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{r}: {c} {m!r}" for r, (c, m) in exc.recipients.items())
    return f"{type(exc).__name__}: {exc}"[:1000]


@dataclass(frozen=True)
class Claimed:
    """A claimed message as it was when claimed (rows change under us as we commit)."""

    id: int
    recipient: str
    locale: str
    subject: str
    body: str
    attachment_name: str
    attachment: str
    message_key: str
    created_at: datetime
    attempts: int

    @classmethod
    def of(cls, row: OutboxMessage) -> "Claimed":
        return cls(
            row.id,
            row.recipient,
            row.locale,
            row.subject,
            row.body,
            row.attachment_name,
            row.attachment,
            row.message_key,
            row.created_at,
            row.attempts,
        )


def build_mime(message: Claimed, settings: MailSettings) -> bytes:
    mime = EmailMessage(policy=POLICY)
    mime["From"] = settings.sender
    mime["To"] = message.recipient
    mime["Subject"] = message.subject
    # Stable per row: a message sent again after a crash carries the same Message-ID.
    mime["Message-ID"] = f"<outbox-{message.message_key}@{settings.uid_host}>"
    mime["Date"] = format_datetime(message.created_at)
    mime["Auto-Submitted"] = "auto-generated"
    mime["Content-Language"] = "en" if message.locale == "en" else "zh-CN"
    mime.set_content(message.body)
    if message.attachment:
        mime.add_attachment(
            message.attachment, subtype="calendar", filename=message.attachment_name
        )
    return mime.as_bytes()


# --- state changes, each one committed transaction ------------------------------------------


def _update(*where, **values) -> int:
    with serialized_writes():
        result = db.session.execute(sa.update(OutboxMessage).where(*where).values(**values))
        db.session.commit()
    return result.rowcount


def recover(holder: str) -> int:
    """Claims left by a scheduler that is gone go back to pending; a message it was sending
    is flagged as a possible duplicate (the server may have accepted it)."""
    foreign = OutboxMessage.claimed_by != holder
    released = {"delivery": Delivery.PENDING, "claimed_by": "", "claimed_at": None}
    count = _update(OutboxMessage.delivery == Delivery.CLAIMED, foreign, **released)
    count += _update(
        OutboxMessage.delivery == Delivery.SENDING, foreign, possible_duplicate=True, **released
    )
    return count


def claim(holder: str, now: datetime, limit: int) -> list[Claimed]:
    """Take up to ``limit`` messages that are due, oldest first."""
    due = sa.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now)
    with serialized_writes():
        ids = db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.delivery == Delivery.PENDING, due)
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if ids:
            db.session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.delivery == Delivery.PENDING)
                .values(delivery=Delivery.CLAIMED, claimed_by=holder, claimed_at=now)
            )
        db.session.commit()
    if not ids:
        return []
    rows = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == holder)
        .order_by(OutboxMessage.id)
    )
    return [Claimed.of(row) for row in rows]


def _mine(message: Claimed, holder: str, state: Delivery) -> tuple:
    """Only while we still hold the claim: a fenced-off run changes nothing."""
    return (
        OutboxMessage.id == message.id,
        OutboxMessage.claimed_by == holder,
        OutboxMessage.delivery == state,
    )


def _release(messages: list[Claimed], holder: str) -> int:
    """Claims not started go back untouched (stopping, lease lost, connection broken)."""
    return _update(
        OutboxMessage.id.in_([m.id for m in messages]),
        OutboxMessage.claimed_by == holder,
        OutboxMessage.delivery == Delivery.CLAIMED,
        delivery=Delivery.PENDING,
        claimed_by="",
        claimed_at=None,
    )


# --- SMTP ----------------------------------------------------------------------------------


def connect(settings: MailSettings) -> smtplib.SMTP:
    cls = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
    smtp = cls(
        settings.server,
        settings.port,
        local_hostname=socket.gethostname(),
        timeout=settings.timeout,
    )
    if settings.use_tls and not settings.use_ssl:
        smtp.starttls()
        smtp.ehlo()
    if settings.username:
        smtp.login(settings.username, settings.password)
    return smtp


def _envelope(smtp: smtplib.SMTP, sender: str, recipient: str) -> None:
    """MAIL FROM and RCPT TO: the server has accepted nothing yet."""
    smtp.ehlo_or_helo_if_needed()
    code, answer = smtp.mail(sender)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    code, answer = smtp.rcpt(recipient)
    if code not in (250, 251):
        raise smtplib.SMTPRecipientsRefused({recipient: (code, answer)})


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class Courier:
    """One delivery run: claims a batch and hands each message over, step by step."""

    def __init__(
        self,
        settings: MailSettings,
        holder: str,
        now: Callable[[], datetime],
        may_send: Callable[[], bool] = lambda: True,
        checkpoint: Callable[[str], None] = lambda name: None,
    ):
        self.settings = settings
        self.holder = holder
        self.now = now
        self.may_send = may_send
        self.checkpoint = checkpoint
        self.report = DeliveryReport()

    def run(self) -> DeliveryReport:
        recover(self.holder)
        batch = claim(self.holder, self.now(), self.settings.batch_size)
        if not batch:
            return self.report
        self.checkpoint("claimed")
        try:
            if self.settings.server:
                self._over_smtp(batch)
            else:
                self._to_outbox(batch)
        finally:
            self.report.released += self._persist(lambda: _release(batch, self.holder))
        return self.report

    def _to_outbox(self, batch: list[Claimed]) -> None:
        self.report.to_outbox += self._persist(
            lambda: _update(
                OutboxMessage.id.in_([m.id for m in batch]),
                OutboxMessage.claimed_by == self.holder,
                OutboxMessage.delivery == Delivery.CLAIMED,
                delivery=Delivery.SENT,
                sent_at=self.now(),
                transport="outbox",
                claimed_by="",
            )
        )

    def _over_smtp(self, batch: list[Claimed]) -> None:
        try:
            smtp = connect(self.settings)
        except OSError as exc:  # smtplib's errors are OSErrors too
            for message in batch:
                self._failed(message, exc, sending=False)
            return
        try:
            for message in batch:
                if not self.may_send():
                    return
                self._send(smtp, message)
        except ConnectionBroken:
            return
        finally:
            _quit(smtp)

    def _send(self, smtp: smtplib.SMTP, message: Claimed) -> None:
        mime = build_mime(message, self.settings)
        try:
            _envelope(smtp, self.settings.sender, message.recipient)
        except smtplib.SMTPServerDisconnected as exc:
            self._broken(message, exc, sending=False)
        except smtplib.SMTPException as exc:
            self._failed(message, exc, sending=False)
            self._reset(smtp)
            return
        except OSError as exc:
            self._broken(message, exc, sending=False)
        if not self._persist(
            lambda: _update(
                *_mine(message, self.holder, Delivery.CLAIMED),
                delivery=Delivery.SENDING,
                attempts=OutboxMessage.attempts + 1,
            )
        ):
            self._reset(smtp)
            return
        self.checkpoint("sending")
        try:
            smtp.data(mime)
        except smtplib.SMTPResponseException as exc:  # the server answered: not accepted
            self._failed(message, exc, sending=True)
            return
        except OSError as exc:  # no answer: it may or may not have been accepted
            self._broken(message, exc, sending=True)
        self.checkpoint("accepted")
        self._persist(
            lambda: _update(
                *_mine(message, self.holder, Delivery.SENDING),
                delivery=Delivery.SENT,
                sent_at=self.now(),
                transport="smtp",
                claimed_by="",
                next_attempt_at=None,
            ),
            accepted=True,
        )
        self.report.delivered += 1
        self.checkpoint("sent")

    def _note(self, exc: Exception) -> None:
        line = f"{self.settings.server}:{self.settings.port}: {describe(exc)}"
        if line not in self.report.errors:
            self.report.errors.append(line)

    def _broken(self, message: Claimed, exc: Exception, sending: bool) -> NoReturn:
        self._failed(message, exc, sending, uncertain=sending)
        raise ConnectionBroken(describe(exc)) from exc

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except OSError as exc:
            self._note(exc)
            raise ConnectionBroken(describe(exc)) from exc

    def _failed(
        self, message: Claimed, exc: Exception, sending: bool, uncertain: bool = False
    ) -> None:
        """One failed attempt: retried later with back-off, or refused for good on a 5xx."""
        attempts = message.attempts + 1  # as loaded when claimed, plus this attempt
        values = {
            "claimed_by": "",
            "claimed_at": None,
            "last_error": describe(exc),
            "attempts": attempts,
        }
        if uncertain:
            values["possible_duplicate"] = True
        if is_permanent(exc):
            values["delivery"] = Delivery.FAILED
            self.report.refused += 1
        else:
            wait = backoff(attempts, self.settings.retry_base, self.settings.retry_max)
            values.update(delivery=Delivery.PENDING, next_attempt_at=self.now() + wait)
            self.report.retrying += 1
        state = Delivery.SENDING if sending else Delivery.CLAIMED
        self._persist(lambda: _update(*_mine(message, self.holder, state), **values))
        self._note(exc)

    def _persist(self, change: Callable[[], int], accepted: bool = False) -> int:
        """Commit one state change, retried with back-off while the database cannot be
        reached: as long as we may still send, or, for the mark of a message the server
        has ``accepted``, up to DATABASE_PATIENCE_SECONDS, so that a database restart does not
        turn a delivered message into a resent one. Every change is fenced by our claim: a
        late one changes nothing that another scheduler has taken over meanwhile."""
        deadline = time.monotonic() + DATABASE_PATIENCE_SECONDS
        delay = 0.1
        while True:
            try:
                return change()
            except sa.exc.DBAPIError as exc:
                with contextlib.suppress(sa.exc.SQLAlchemyError):
                    db.session.rollback()
                unreachable = isinstance(exc, sa.exc.OperationalError) or exc.connection_invalidated
                if not (
                    unreachable
                    and time.monotonic() + delay < deadline
                    and (accepted or self.may_send())
                ):
                    raise
                log.warning("cannot reach the database to record a delivery, retrying: %s", exc)
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
