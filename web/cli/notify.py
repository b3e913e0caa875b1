"""``flask --app web notify send``: mail the notifications not mailed yet (the outbox), once each.

Run it from cron as often as mail should go out; two runs at once mail each notification once
(each is claimed before it is sent). Needs ``LAUREL_SMTP_HOST`` (and ``LAUREL_SMTP_PORT``,
``LAUREL_SMTP_USER``/``LAUREL_SMTP_PASSWORD`` when the server asks, ``LAUREL_SMTP_SENDER``,
``LAUREL_BASE_URL`` for the links). Port 465 speaks TLS from the start; on other ports STARTTLS
is used when the server offers it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup

from workflow.domain.notifications import send_outbox
from workflow.workdays import utcnow

from ..extensions import laurel
from .common import friendly_errors

_TIMEOUT = 30  # seconds for the mail server to answer


@click.group(cls=AppGroup, help="Notifications by email.")
def notify() -> None:
    pass


class Mailer:
    """Sends messages over one SMTP connection, opened at the first message (none if nothing to send)."""

    def __init__(self, config: dict[str, Any]):
        self.host, self.port = config["SMTP_HOST"], int(config["SMTP_PORT"])
        self.user, self.password = config.get("SMTP_USER"), config.get("SMTP_PASSWORD")
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self.port == 465:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=_TIMEOUT, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=_TIMEOUT)
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        if self.user:
            smtp.login(self.user, self.password or "")
        return smtp

    def __call__(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._connect()
        self.smtp.send_message(message)

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except smtplib.SMTPException:
                pass
            self.smtp = None


@notify.command("send", help="Mail every notification not mailed yet to its recipient (users without an "
                             "email are skipped); each is mailed once, even when runs overlap.")
@friendly_errors
def send_command() -> None:
    config = current_app.config
    if not config.get("SMTP_HOST"):
        click.echo("LAUREL_SMTP_HOST is not set: no mail is sent.")
        return
    mailer = Mailer(config)
    try:
        report = send_outbox(laurel.state.write_sessions, mailer, base_url=config["BASE_URL"],
                             sender=config["SMTP_SENDER"], now=utcnow())
    except (OSError, smtplib.SMTPException) as err:
        raise click.ClickException(f"cannot send mail through {mailer.host}:{mailer.port}: {err}; "
                                   "the notifications not sent stay in the outbox") from err
    finally:
        mailer.close()
    click.echo(f"Sent {report.sent} notification(s) by email"
               + (f"; {report.refused} refused by the mail server" if report.refused else "")
               + (f"; {report.taken} taken by another run" if report.taken else "") + ".")
