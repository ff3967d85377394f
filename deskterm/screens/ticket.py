"""One ticket: header, thread, notes panel and the reply composer; every field from a picker."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Label, Static

from deskterm import clock
from deskterm.app import DbChanged
from deskterm.domain import BadInput, EntryKind, Priority, TicketDetail
from deskterm.screens.dialogs import ConfirmDialog, PickerDialog, PromptDialog
from deskterm.screens.dialogs.picker import STATUS_OPTIONS
from deskterm.screens.ticket_send import UNDO_BINDING, SendActions
from deskterm.services import attachments, canned, directory, drafts, mentions, tickets
from deskterm.services.finding import recent
from deskterm.services.messaging import replies
from deskterm.services.trust import collisions, presence
from deskterm.services.when import parse_when
from deskterm.widgets import glyphs
from deskterm.widgets.activity import ActivityView
from deskterm.widgets.composer import Composer
from deskterm.widgets.display import one_line, visual
from deskterm.widgets.footer import DeskFooter
from deskterm.widgets.requester_panel import RequesterPanel
from deskterm.widgets.thread_view import ThreadView, human_size, local_time
from deskterm.widgets.ticket_header import TicketHeader
from deskterm.widgets.timer import DeskHeader, toggle_timer

#: How often this console tells others it is here (and what it does).
HEARTBEAT_SECONDS = 5
#: How often it looks for other agents on the ticket: presence shows within this.
PRESENCE_POLL_SECONDS = 1.0
#: Below this many columns the notes panel starts hidden (n shows it).
NARROW = 110


class Navigator(Protocol):
    """The list the ticket was opened from (next/previous without going back)."""

    def neighbour_id(self, ticket_id: int, step: int) -> int | None: ...

    def follow(self, ticket_id: int) -> None: ...


def canned_preview(info, text: str) -> str:
    """A canned reply as it would be inserted, with what it also does."""
    actions = []
    if info.set_status:
        actions.append(f"then sets status {info.set_status.value}")
    if info.add_tags:
        actions.append("adds tags " + " ".join(info.add_tags))
    return text + ("\n\n(" + " · ".join(actions) + ")" if actions else "")


def merge_details(source: TicketDetail | None, target: TicketDetail) -> tuple[str, ...]:
    """What the agent checks before merging: the target's subject and requester."""

    def who(detail: TicketDetail) -> str:
        r = detail.requester
        return f"{r.name} <{r.email}>" if r.name else r.email

    lines = [
        f"into: {target.ref}  {one_line(target.subject)[:60]}",
        f"      requester {who(target)} · {target.status.value.replace('_', ' ')}",
    ]
    if source is not None:
        lines.insert(0, f"from: {source.ref}  {one_line(source.subject)[:60]}")
        if source.requester.email != target.requester.email:
            lines.append(f"a different requester: {who(source)}")
    return tuple(lines)


def snooze_time(text: str, zone: Any) -> datetime:
    """The moment `text` means in the agent's zone; BadInput when it is not in the future."""
    moment = parse_when(text, zone=zone)
    if clock.to_utc(moment) <= clock.now():
        raise BadInput(f"{local_time(moment, zone)} is in the past: snooze needs a later time")
    return moment


_DID = {EntryKind.CUSTOMER: "wrote", EntryKind.REPLY: "replied", EntryKind.NOTE: "added a note"}


def ago(seconds: float) -> str:
    """`20 s`, `3 min`, `2 h`."""
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{round(seconds / 3600)} h"


def collision_text(landed: tuple, now) -> str:
    """`Mirza Hodžić replied 20 s ago` for the newest entry that landed (+ how many more)."""
    newest = landed[-1]
    who = newest.author or newest.author_email or "someone"
    age = ago((now - newest.created_at).total_seconds())
    text = f"{one_line(who)} {_DID.get(newest.kind, 'wrote')} {age} ago"
    if len(landed) > 1:
        text += f" (and {len(landed) - 1} more since you started writing)"
    else:
        text += ", after you started writing"
    return text + ": review it, or send anyway?"


class TicketScreen(SendActions, Screen[None]):
    """Read and answer one ticket."""

    HELP_TITLE = "ticket"
    BINDINGS = [
        Binding(
            "escape",
            "back",
            "Back",
            tooltip="leave the composer, then the ticket",
            id="ticket.back",
        ),
        Binding(
            "r", "compose('reply')", "Reply", tooltip="write a public reply", id="ticket.reply"
        ),
        Binding(
            "c", "compose('note')", "Comment", tooltip="write an internal note", id="ticket.comment"
        ),
        Binding(
            "R",
            "canned",
            "Canned reply",
            tooltip="insert a canned reply, filled in",
            id="ticket.canned",
        ),
        Binding("s", "pick_status", "Status", tooltip="change the status", id="ticket.status"),
        Binding(
            "p", "pick_priority", "Priority", tooltip="change the priority", id="ticket.priority"
        ),
        Binding("a", "pick_assignee", "Assign", tooltip="change the assignee", id="ticket.assign"),
        Binding(
            "m", "pick_queue", "Move queue", tooltip="move to another queue", id="ticket.queue"
        ),
        Binding("t", "edit_tags", "Tags", tooltip="add or remove (-tag) tags", id="ticket.tags"),
        Binding(
            "f",
            "edit_followers",
            "Followers",
            tooltip="add or remove (-address) followers",
            id="ticket.followers",
        ),
        Binding("z", "snooze", "Snooze", tooltip="postpone until a time", id="ticket.snooze"),
        Binding("M", "merge", "Merge", tooltip="merge into another ticket", id="ticket.merge"),
        Binding(
            "A",
            "attachment",
            "Attachments",
            tooltip="save an attachment to a file",
            id="ticket.attachments",
        ),
        Binding(
            "n",
            "toggle_notes",
            "Notes panel",
            tooltip="show / hide the internal notes",
            id="ticket.notes",
        ),
        Binding(
            "T",
            "toggle_timer",
            "Timer",
            tooltip="start/stop the time tracking timer",
            id="ticket.timer",
        ),
        Binding(
            "e",
            "toggle_activity",
            "Activity",
            show=False,
            tooltip="the thread or the ticket's audit trail",
            id="ticket.activity",
        ),
        Binding(
            "i",
            "toggle_requester",
            "Requester",
            show=False,
            tooltip="requester details, organisation and their other tickets",
            id="ticket.requester",
        ),
        Binding(
            "J,right_square_bracket",
            "step(1)",
            "Next ticket",
            key_display="J",
            tooltip="next ticket of the list (also ])",
            id="ticket.next",
        ),
        Binding(
            "K,left_square_bracket",
            "step(-1)",
            "Prev ticket",
            key_display="K",
            tooltip="previous ticket of the list (also [)",
            id="ticket.previous",
        ),
        UNDO_BINDING,
    ]

    def __init__(
        self, ticket_id: int, *, navigator: Navigator | None = None, composer: str | None = None
    ) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.navigator = navigator
        self.detail: TicketDetail | None = None
        self.start_composer = composer
        self._draft_timer: Timer | None = None
        self._draft_dirty = False
        self._draft: tuple[str, str] = ("reply", "")
        #: Newest entry id on screen when the agent started writing (collision check).
        self._compose_base: int | None = None
        self._activity = "viewing"
        #: The agent's own choice for the notes panel (n); None follows the width.
        self._notes_choice: bool | None = None

    @property
    def me(self) -> str:
        return self.app.agent.username

    def compose(self) -> ComposeResult:
        yield DeskHeader(show_clock=False, icon=glyphs.APP_ICON)
        yield TicketHeader(self.app.tz, id="ticket-header")
        yield Static("", id="presence")
        with Horizontal(id="ticket-body"):
            yield ThreadView(zone=self.app.tz, id="thread")
            yield ActivityView(zone=self.app.tz, id="activity")
            with Vertical(id="notes-panel"):
                yield Label("Internal notes", classes="panel-title")
                yield ThreadView(zone=self.app.tz, kinds=(EntryKind.NOTE,), id="notes")
            yield RequesterPanel(id="requester-panel")
        yield Composer(id="composer")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.load(scroll_end=True)
        self._load_draft()
        self.set_interval(HEARTBEAT_SECONDS, self._heartbeat)
        if self.app.watch_interval:
            self.set_interval(PRESENCE_POLL_SECONDS, self._show_presence)
        self._heartbeat()
        self._fit_notes()

    def on_resize(self) -> None:
        self._fit_notes()

    def _fit_notes(self) -> None:
        """Narrow terminals: the notes panel folds away so the thread keeps the width."""
        panel = self.query_one("#notes-panel")
        wanted = self._notes_choice
        panel.display = wanted if wanted is not None else self.app.size.width >= NARROW

    # --- loading -----------------------------------------------------------------

    def load(self, *, scroll_end: bool = False) -> None:
        """(Re)load the ticket; the composer and its draft are left alone."""
        ticket_id = self.ticket_id

        def show(fetched: tuple[TicketDetail, str | None]) -> None:
            detail, refusal = fetched
            if detail.id != self.ticket_id and ticket_id == self.ticket_id:
                self.ticket_id = detail.id  # merged away: follow the survivor
            if ticket_id != self.ticket_id and detail.id != self.ticket_id:
                return
            self.query_one(TicketHeader).read_only = refusal
            self.show(detail, scroll_end=scroll_end)

        self.app.call(self._fetch, ticket_id, done=show, group="ticket-load", exclusive=True)

    def _fetch(self, ticket_id: int) -> tuple[TicketDetail, str | None]:
        mentions.mark_seen(self.me, ticket_id)
        detail = tickets.read_ticket(self.app.actor, tickets.surviving_ticket(ticket_id))
        recent.touch(self.me, detail.id)
        return detail, tickets.work_refusal(self.app.actor, detail.id)

    def show(self, detail: TicketDetail, *, scroll_end: bool = False) -> None:
        self.detail = detail
        self.sub_title = visual(one_line(f"{detail.ref} {detail.subject}"))
        self.query_one(TicketHeader).show(detail)
        self.query_one("#thread", ThreadView).show(detail.entries, scroll_end=scroll_end)
        self.query_one("#notes", ThreadView).show(detail.entries, scroll_end=scroll_end)
        self.query_one(RequesterPanel).show_for(detail.id)
        if self.query_one(ActivityView).display:
            self._load_activity()
        if self.start_composer:
            self.action_compose(self.start_composer)
            self.start_composer = None
        elif scroll_end and self.focused is None:
            self.query_one("#thread").focus()

    def on_db_changed(self, _: DbChanged) -> None:
        self.load(scroll_end=True)
        self._show_presence()

    def _after_change(self, result: Any) -> None:
        if isinstance(result, TicketDetail):
            self.show(result, scroll_end=True)
        self.app.announce_change()

    def _change(self, fn, *args, **kwargs) -> None:
        """Run a ticket service with the version this screen shows (Conflict: reload)."""
        if self.detail is None:
            return
        self.app.call(
            fn,
            self.app.actor,
            self.detail.id,
            *args,
            expected_version=self.detail.version,
            done=self._after_change,
            on_conflict=self.load,
            **kwargs,
        )

    # --- presence and drafts ---------------------------------------------------------

    def _heartbeat(self) -> None:
        composer = self.query_one(Composer)
        self._activity = "replying" if composer.body.strip() else "viewing"
        self.app.call(
            presence.heartbeat, self.me, self.ticket_id, self._activity, group="presence-beat"
        )
        self._show_presence()

    def _show_presence(self) -> None:
        def draw(viewers) -> None:
            if not viewers:
                text = Text("")
            else:
                text = Text(f"{glyphs.WARNING} ", style="bold")
                text.append(visual(", ".join(f"{v.name} is {v.activity}" for v in viewers)))
            self.query_one("#presence", Static).update(text)
            self.query_one("#presence").set_class(bool(viewers), "-others")

        self.app.call(
            presence.others_on,
            self.ticket_id,
            self.me,
            done=draw,
            group="presence",
            exclusive=True,
        )

    def _load_draft(self) -> None:
        def fill(draft) -> None:
            if draft is not None and not self.query_one(Composer).body:
                self.query_one(Composer).load(draft.mode, draft.body)
                self._compose_base = self._newest_entry_id()
                self.notify("draft restored", timeout=2)

        self.app.call(drafts.load_draft, self.me, self.ticket_id, done=fill)

    def _newest_entry_id(self) -> int:
        entries = self.detail.entries if self.detail else ()
        return max((e.id for e in entries), default=0)

    def on_composer_draft_changed(self, event: Composer.DraftChanged) -> None:
        self._draft = (event.mode, event.body)
        self._draft_dirty = True
        writing = bool(event.body.strip())
        if writing and self._compose_base is None:
            self._compose_base = self._newest_entry_id()
        elif not writing:
            self._compose_base = None
        if ("replying" if writing else "viewing") != self._activity:
            self._heartbeat()  # others see "is replying" now, not at the next beat
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(0.8, self.save_draft)

    def save_draft(self) -> None:
        """Keep the composer's text so it survives leaving the ticket or the app."""
        if not self._draft_dirty:
            return
        self._draft_dirty = False
        mode, body = self._draft
        drafts.save_draft(self.me, self.ticket_id, mode, body)

    def on_unmount(self) -> None:
        self.save_draft()
        presence.leave(self.me, self.ticket_id)

    # --- composer -------------------------------------------------------------------

    def action_compose(self, mode: str) -> None:
        composer = self.query_one(Composer)
        composer.mode = mode
        composer.text_area.focus()

    def on_composer_send(self, event: Composer.Send) -> None:
        """Send, unless someone else wrote on the ticket since the agent started writing."""
        if self.detail is None:
            return
        base = self._compose_base if self._compose_base is not None else self._newest_entry_id()
        me = (self.me, self.app.agent.name)

        def checked(landed: collisions.Landed) -> None:
            if not landed.entries:
                self._send(event, None)
                return

            def answer(send_anyway: bool | None) -> None:
                if send_anyway:
                    self._send(event, landed.version)
                else:  # review: show what landed; the draft stays
                    self._compose_base = max(e.id for e in landed.entries)
                    self.load(scroll_end=True)
                    self.query_one("#thread").focus()

            self.app.push_screen(
                ConfirmDialog(
                    collision_text(landed.entries, clock.now()),
                    yes="Send anyway",
                    no="Review",
                    details=tuple(
                        one_line(e.body)[:70] for e in landed.entries[-3:] if e.body.strip()
                    ),
                ),
                answer,
            )

        self.app.call(collisions.landed_since, self.detail.id, base, me, done=checked)

    def _send(self, event: Composer.Send, version: int | None) -> None:
        """Send what the composer holds (with `version`, else the one on screen)."""
        if self.detail is None:
            return
        composer = self.query_one(Composer)
        actor, ticket_id = self.app.actor, self.detail.id
        version = version if version is not None else self.detail.version
        me = self.me

        hold = timedelta(seconds=self.app.settings.undo_send_seconds)

        def send() -> replies.Sent:
            sent = replies.send(
                actor,
                ticket_id,
                event.mode,
                event.body,
                files=event.files,
                to=event.to,
                cc=event.cc,
                set_status=event.status if event.mode == "reply" else None,
                tags=event.tags,
                hold=hold,
                expected_version=version,
            )
            drafts.clear_draft(me, ticket_id)
            return sent

        def sent(result: replies.Sent) -> None:
            composer.clear()
            self._compose_base = None
            self._draft, self._draft_dirty = (event.mode, ""), False
            self._after_change(result.detail)
            self.query_one("#thread").focus()
            self._sent(result, event)

        self.app.call(send, done=sent, on_conflict=self.load)

    def on_composer_canned_requested(self, _: Composer.CannedRequested) -> None:
        self.action_canned()

    def action_canned(self) -> None:
        """Pick a canned reply; placeholders are filled from this ticket before inserting."""

        ticket_id, me = self.ticket_id, self.me

        def filled() -> list[tuple[object, str]]:
            """Each canned reply with its text filled from this ticket (the preview)."""
            return [(c, canned.render_canned(c.id, ticket_id, me)) for c in canned.list_canned()]

        def pick(replies: list[tuple[object, str]]) -> None:
            if not replies:
                self.notify("no canned replies yet (C on the queue screen)", severity="warning")
                return
            by_id = {str(c.id): (c, text) for c, text in replies}

            def chosen(value: str | None) -> None:
                if value is not None:
                    info, text = by_id[value]
                    self._insert_canned(text, info)

            options = [(str(c.id), c.title) for c, _ in replies]
            previews = {str(c.id): canned_preview(c, text) for c, text in replies}
            self.app.push_screen(PickerDialog("Canned reply", options, previews=previews), chosen)

        self.app.call(filled, done=pick)

    def _insert_canned(self, text: str, info) -> None:
        composer = self.query_one(Composer)
        if composer.mode != "reply" and not composer.body.strip():
            composer.mode = "reply"
        composer.insert(
            text, status=info.set_status.value if info.set_status else None, tags=info.add_tags
        )

    # --- field pickers -------------------------------------------------------------

    def _pick(self, title: str, options: list[tuple[str, str]], current: str | None, apply):
        def chosen(value: str | None) -> None:
            if value is not None and value != current:
                apply(value)

        self.app.push_screen(PickerDialog(title, options, current=current), chosen)

    def action_pick_status(self) -> None:
        if self.detail is None:
            return
        options = STATUS_OPTIONS
        self._pick(
            "Status",
            options,
            self.detail.status.value,
            lambda v: self._change(tickets.set_status, v),
        )

    def action_pick_priority(self) -> None:
        if self.detail is None:
            return
        options = [(p.value, p.value) for p in Priority]
        self._pick(
            "Priority",
            options,
            self.detail.priority.value,
            lambda v: self._change(tickets.set_priority, v),
        )

    def action_pick_queue(self) -> None:
        if self.detail is None:
            return

        def pick(queues) -> None:
            options = [(q.slug, f"{q.name} ({q.slug})") for q in queues]
            self._pick(
                "Move to queue",
                options,
                self.detail.queue,
                lambda v: self._change(tickets.set_queue, v),
            )

        self.app.call(directory.list_queues, done=pick)

    def action_pick_assignee(self) -> None:
        if self.detail is None:
            return

        def pick(agents) -> None:
            options = [("", "— nobody")] + [
                (a.username, f"{a.name} ({a.username})") for a in agents if a.active
            ]
            self._pick(
                "Assign to",
                options,
                self.detail.assignee or "",
                lambda v: self._change(tickets.assign, v or None),
            )

        self.app.call(directory.list_agents, done=pick)

    def action_edit_tags(self) -> None:
        if self.detail is None:
            return

        def chosen(text: str | None) -> None:
            if not text:
                return
            words = text.replace(",", " ").split()
            add = [w.lstrip("+") for w in words if not w.startswith("-")]
            remove = [w[1:] for w in words if w.startswith("-") and len(w) > 1]
            actor, ticket_id = self.app.actor, self.detail.id

            def edit() -> TicketDetail:
                detail = tickets.get_ticket(ticket_id)
                if add:
                    detail = tickets.add_tags(actor, ticket_id, add)
                if remove:
                    detail = tickets.remove_tags(actor, ticket_id, remove)
                return detail

            self.app.call(edit, done=self._after_change)

        self.app.push_screen(
            PromptDialog(
                "Tags",
                placeholder="vip billing -spam",
                hint=f"tags now: {' '.join(self.detail.tags) or '(none)'}"
                "\nwords add tags, -word removes one",
            ),
            chosen,
        )

    def action_edit_followers(self) -> None:
        if self.detail is None:
            return

        def chosen(text: str | None) -> None:
            if not text:
                return
            actor, ticket_id = self.app.actor, self.detail.id
            if text.startswith("-"):
                self.app.call(
                    tickets.remove_follower,
                    actor,
                    ticket_id,
                    text[1:].strip(),
                    done=self._after_change,
                )
            else:
                self.app.call(tickets.add_follower, actor, ticket_id, text, done=self._after_change)

        current = ", ".join(f.email for f in self.detail.followers) or "(none)"
        self.app.push_screen(
            PromptDialog(
                "Add a follower",
                placeholder="name@example.com",
                hint=f"now: {current} · -address removes",
            ),
            chosen,
        )

    def action_snooze(self) -> None:
        if self.detail is None:
            return

        zone, zone_name = self.app.tz, self.app.agent.timezone or "UTC"

        def until(text: str):
            return snooze_time(text, zone)

        def chosen(text: str | None) -> None:
            if not text:
                return
            actor, ticket_id, version = self.app.actor, self.ticket_id, self.detail.version
            moment = until(text)

            def done(detail: TicketDetail) -> None:
                self.notify(f"Snoozed until {local_time(moment, zone)} ({zone_name})")
                self._after_change(detail)

            self.app.call(
                tickets.snooze,
                actor,
                ticket_id,
                moment,
                expected_version=version,
                done=done,
                on_conflict=self.load,
            )

        example = (clock.now().astimezone(zone) + timedelta(days=7)).strftime("%Y-%m-%d")
        self.app.push_screen(
            PromptDialog(
                "Snooze until",
                placeholder=f"in 2 hours · tomorrow 9:00 · {example}",
                hint=f"times in your zone, {zone_name}",
                check=lambda text: f"until {local_time(until(text), zone)} ({zone_name})",
            ),
            chosen,
        )

    def action_merge(self) -> None:
        if self.detail is None:
            return
        source = self.detail.id

        def target_chosen(text: str | None) -> None:
            if not text:
                return

            def confirm(target_detail: TicketDetail) -> None:
                target = target_detail.id

                def merge(yes: bool | None) -> None:
                    if yes:
                        self.app.call(
                            tickets.merge, self.app.actor, source, target, done=self._merged
                        )

                self.app.push_screen(
                    ConfirmDialog(
                        f"Merge #{source} into #{target}? #{source} will be closed.",
                        yes="Merge",
                        details=merge_details(self.detail, target_detail),
                    ),
                    merge,
                )

            self.app.call(lambda: tickets.get_ticket(tickets.resolve_ref(text)), done=confirm)

        self.app.push_screen(PromptDialog("Merge into ticket", placeholder="#1042"), target_chosen)

    def _merged(self, detail: TicketDetail) -> None:
        self.notify(f"Merged into {detail.ref}")
        self._switch_to(detail.id)
        self.app.announce_change()

    def action_attachment(self) -> None:
        if self.detail is None:
            return
        files = [a for e in self.detail.entries for a in e.attachments]
        if not files:
            self.notify("this ticket has no attachments")
            return
        options = [(str(a.id), f"{a.filename} ({human_size(a.size)})") for a in files]
        names = {str(a.id): a.filename for a in files}

        def chosen(value: str | None) -> None:
            if value is None:
                return

            def save(path: str | None) -> None:
                if path:
                    self.app.call(
                        attachments.save_to,
                        self.app.actor,
                        int(value),
                        Path(path).expanduser(),
                        done=lambda p: self.notify(f"Saved {p}"),
                    )

            self.app.push_screen(
                PromptDialog("Save attachment to", value=str(Path.cwd() / names[value])), save
            )

        self.app.push_screen(PickerDialog("Attachments", options), chosen)

    def action_toggle_requester(self) -> None:
        panel = self.query_one(RequesterPanel)
        panel.display = not panel.display
        if panel.display:
            panel.query_one("#requester-tickets").focus()
        elif panel.has_focus_within:
            self.query_one("#thread").focus()

    def on_requester_panel_jump(self, event: RequesterPanel.Jump) -> None:
        self._switch_to(event.ticket_id)
        self.query_one("#thread").focus()

    def action_toggle_timer(self) -> None:
        toggle_timer(self.app, self.ticket_id)

    def action_toggle_activity(self) -> None:
        """Switch between the thread and the ticket's audit trail (the Activity tab)."""
        activity, thread = self.query_one(ActivityView), self.query_one("#thread", ThreadView)
        activity.display, thread.display = not activity.display, activity.display
        if activity.display:
            self._load_activity()

    def _load_activity(self) -> None:
        from deskterm.services.trust import audit

        view = self.query_one(ActivityView)
        self.app.call(audit.ticket_trail, self.app.actor, self.ticket_id, done=view.show,
                      group="ticket-activity", exclusive=True)

    def action_toggle_notes(self) -> None:
        panel = self.query_one("#notes-panel")
        self._notes_choice = not panel.display
        self._fit_notes()

    # --- navigation ------------------------------------------------------------------

    def action_back(self) -> None:
        if self.query_one(Composer).text_area.has_focus:
            self.query_one("#thread").focus()
        else:
            self.app.pop_screen()

    def action_step(self, step: int) -> None:
        if self.navigator is None:
            self.notify("opened outside a list: no next ticket", severity="warning")
            return

        def go(ticket_id: int | None) -> None:
            if ticket_id is None:
                self.notify("no more tickets in this view")
            else:
                self._switch_to(ticket_id)

        self.app.call(self.navigator.neighbour_id, self.ticket_id, step, done=go)

    def _switch_to(self, ticket_id: int) -> None:
        self.save_draft()
        presence.leave(self.me, self.ticket_id)
        self.ticket_id = ticket_id
        self.detail = None
        composer = self.query_one(Composer)
        composer.clear()
        self.query_one("#thread", ThreadView).shown = []
        self.query_one("#notes", ThreadView).shown = []
        if self.navigator is not None:
            self.navigator.follow(ticket_id)
        self.load(scroll_end=True)
        self._load_draft()
        self._heartbeat()
