"""The ticket screen's sending side: files, To / Cc, the mail preview, undo-send and the
time-spent prompt. The rules live in `services.replies` and `services.notifications`;
this only asks and shows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual.binding import Binding

from deskterm.domain import BadInput, TicketDetail
from deskterm.screens.dialogs import PromptDialog
from deskterm.screens.dialogs.mail_preview import MailPreviewScreen
from deskterm.screens.dialogs.recipients import RecipientsDialog
from deskterm.services import drafts, tickets
from deskterm.services.messaging import notifications, replies
from deskterm.services.values import parse_minutes
from deskterm.widgets.composer import Composer
from deskterm.widgets.path_suggester import PathSuggester
from deskterm.widgets.thread_view import human_size

UNDO_BINDING = Binding(
    "u",
    "undo_send",
    "Undo send",
    tooltip="take back the reply just sent, while its mail waits in the outbox",
    id="ticket.undo_send",
    show=False,
)


def describe_file(text: str) -> str:
    """What the attach prompt shows as the path is typed; BadInput when it is no file."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise BadInput(f"{text} is a folder: type a file's name in it (tab completes)")
    if not path.is_file():
        raise BadInput(f"no such file: {text}")
    return f"{path.name}, {human_size(path.stat().st_size)}"


class SendActions:
    """Mixed into TicketScreen (it provides app, detail, ticket_id, query_one, notify...)."""

    app: Any
    detail: TicketDetail | None
    ticket_id: int
    #: The last reply sent with a window, and what the composer held for it.
    _held: tuple[replies.Sent, Composer.Send, float] | None = None

    # --- composer dialogs -----------------------------------------------------------

    def on_composer_asked(self, event: Composer.Asked) -> None:
        {
            "attach": self._ask_attach,
            "recipients": self._ask_recipients,
            "preview": self._preview,
        }[event.what]()

    def _ask_attach(self) -> None:
        composer = self.query_one(Composer)

        def chosen(text: str | None) -> None:
            if not text:
                return
            if text.startswith("-"):
                gone = text[1:].strip()
                kept = tuple(f for f in composer.files if Path(f).name != gone and f != gone)
                composer.set_extras(files=kept)
            else:
                composer.set_extras(files=composer.files + (str(Path(text).expanduser()),))
            composer.text_area.focus()

        names = ", ".join(Path(f).name for f in composer.files) or "(none)"
        self.app.push_screen(
            PromptDialog(
                "Attach a file",
                value=str(Path.cwd()) + "/",
                placeholder="~/Documents/invoice.pdf",
                hint=f"tab or → completes the path · files now: {names} · -name takes one off",
                check=lambda text: "takes it off" if text.startswith("-") else describe_file(text),
                suggester=PathSuggester(),
                select_on_focus=False,
            ),
            chosen,
        )

    def _recipients(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        composer = self.query_one(Composer)
        detail = self.detail
        to = composer.to if composer.to is not None else (detail.requester.email,)
        cc = composer.cc if composer.cc is not None else tuple(f.email for f in detail.followers)
        return to, cc

    def _ask_recipients(self) -> None:
        composer = self.query_one(Composer)
        if self.detail is None:
            return
        if composer.mode != "reply":
            self.notify("an internal note goes to no one: ctrl+o switches to a reply")
            return
        to, cc = self._recipients()

        def chosen(result: tuple[tuple[str, ...], tuple[str, ...]] | None) -> None:
            if result is not None:
                new_to, new_cc = result
                default = self._recipients() if composer.to is None else None
                if default == (new_to, new_cc):
                    return
                composer.set_extras(to=new_to, cc=new_cc)
            composer.text_area.focus()

        self.app.push_screen(
            RecipientsDialog(
                to,
                cc,
                replies.parse_addresses,
                hint="for this reply only · the ticket's followers stay as they are",
            ),
            chosen,
        )

    def _preview(self) -> None:
        composer = self.query_one(Composer)
        if self.detail is None:
            return
        if composer.mode != "reply":
            self.notify("an internal note is not sent to the customer: nothing to preview")
            return
        if not composer.body.strip():
            self.notify("nothing to preview yet", severity="warning")
            return
        to, cc = self._recipients()
        files = tuple(Path(f).name for f in composer.files)

        def show(preview: notifications.MailPreview) -> None:
            self.app.push_screen(MailPreviewScreen(preview, files))

        self.app.call(
            notifications.preview_reply,
            self.detail.id,
            composer.body,
            self.app.agent.name,
            to=to,
            cc=cc,
            done=show,
        )

    # --- after sending: undo window, time spent ------------------------------------------

    def _sent(self, sent: replies.Sent, event: Composer.Send) -> None:
        """The composer's text was sent: offer undo while its mail is held, ask the time."""
        what = "Internal note added" if event.mode == "note" else "Reply sent"
        if event.status and event.mode == "reply":
            what += f", status {event.status}"
        seconds = self.app.settings.undo_send_seconds
        if sent.held_until is not None:
            self._held = (sent, event, time.monotonic() + seconds)
            self.notify(f"{what} · u undoes it within {seconds:g} s", timeout=seconds)
        else:
            self.notify(what)
        if self.app.settings.ask_time_spent:
            self._ask_time_spent(sent.ticket_id)

    def _ask_time_spent(self, ticket_id: int) -> None:
        actor = self.app.actor

        def chosen(text: str | None) -> None:
            if not text:
                return
            minutes = parse_minutes(text)
            self.app.call(
                tickets.log_time,
                actor,
                ticket_id,
                minutes,
                done=lambda detail: self._logged(detail, minutes),
            )

        self.app.push_screen(
            PromptDialog(
                f"Time spent on #{ticket_id}?",
                placeholder="15 · 1h30 · empty or escape skips",
                hint="logged like `deskterm ticket time`",
                check=lambda text: f"{parse_minutes(text)} min" if text else "nothing logged",
            ),
            chosen,
        )

    def _logged(self, detail: TicketDetail, minutes: int) -> None:
        self.notify(f"Logged {minutes} min on {detail.ref}")
        self._after_change(detail)

    def action_undo_send(self) -> None:
        """Withdraw the reply just sent: its text, files and recipients go back."""
        held, self._held = self._held, None
        if held is None or time.monotonic() > held[2] or held[0].ticket_id != self.ticket_id:
            self.notify("nothing to undo: no reply of yours is waiting to be sent")
            return
        sent, event, _ = held
        composer = self.query_one(Composer)
        me, ticket_id = self.app.agent.username, sent.ticket_id

        def undo() -> replies.Withdrawn:
            back = replies.undo_send(self.app.actor, sent.entry_id)
            drafts.save_draft(me, ticket_id, "reply", back.body)
            return back

        def restored(back: replies.Withdrawn) -> None:
            composer.load("reply", back.body)
            composer.set_extras(files=event.files, to=event.to, cc=event.cc)
            if event.status:
                composer.canned_status = event.status
            composer.canned_tags = event.tags
            composer.text_area.focus()
            status = back.status.value.replace("_", " ")
            self.notify(f"Reply withdrawn before it left: back in the composer (status {status})")
            self._after_change(back.detail)

        self.app.call(undo, done=restored)
