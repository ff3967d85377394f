"""The queue screen's views sidebar: numbered views with their ticket counts, 1-9 to
switch, rename (`n`) and share (`w`: personal, one of your teams, everyone). Who may do
what is decided by `services.finding.views`."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList

from deskterm.domain import ViewInfo
from deskterm.services import directory
from deskterm.services.finding import views
from deskterm.widgets import glyphs
from deskterm.widgets.display import fit, visual

VIEW_BINDINGS = [
    *(
        Binding(
            str(n),
            f"view_number({n})",
            "Switch view",
            show=False,
            tooltip="the view with this number in the sidebar",
            id=f"queue.view_{n}",
        )
        for n in range(1, 10)
    ),
    Binding(
        "n",
        "rename_view",
        "Rename view",
        show=False,
        tooltip="rename the highlighted (or current) saved view",
        id="queue.rename_view",
    ),
    Binding(
        "w",
        "share_view",
        "Share view",
        show=False,
        tooltip="keep a saved view personal, share it with a team or with everyone",
        id="queue.share_view",
    ),
]

SCOPE_NAMES = {"personal": "only me", "desk": "everyone"}


def view_label(
    number: int, view: ViewInfo, count: int | None, width: int, count_width: int = 0
) -> Text:
    """`1 ◦ Name      12`: its key (the first nine), whose it is, the name cut to fit and
    the count right-aligned in a column `count_width` wide at the right edge (dim while
    not counted yet): a long name is cut with `…` before it reaches that column."""
    key = f"{number} " if number <= 9 else "  "
    mark = "" if view.builtin else (glyphs.OWN_VIEW if view.owner else glyphs.SHARED_VIEW) + " "
    shown = "" if count is None else str(count)
    shown = shown.rjust(max(count_width, len(shown)))
    room = max(width - cell_len(key) - cell_len(mark) - len(shown) - 1, 3)
    label = Text(key, style="dim")
    label.append(mark)
    label.append(fit(view.name, room))
    label.append(" " + shown, style="dim")
    return label


class ViewActions:
    """Mixed into QueueScreen (it provides app, view, view_list, query_one, apply_view)."""

    app: Any
    view: ViewInfo | None
    view_list: list[ViewInfo]
    #: The last counts painted, by view id.
    view_counts: dict[int, int] = {}

    def paint_views(self, found: list[ViewInfo], counts: dict[int, int]) -> None:
        """(Re)draw the sidebar's options, keeping the highlight."""
        options = self.query_one("#views", OptionList)
        width = (options.scrollable_content_region.width or 22) - 1
        count_width = max((len(str(counts[v.id])) for v in found if v.id in counts), default=0)
        for number, view in enumerate(found, start=1):
            label = view_label(number, view, counts.get(view.id), width, count_width)
            index = options.get_option_index(str(view.id))
            options.replace_option_prompt_at_index(index, label)

    def count_views(self) -> None:
        """Count every view's tickets in a worker (cached narrow counts), then paint."""
        found, actor = list(self.view_list), self.app.actor

        def paint(counts: dict[int, int]) -> None:
            if [v.id for v in self.view_list] == [v.id for v in found]:
                self.view_counts = counts
                self.paint_views(found, counts)

        self.app.call(
            views.view_counts, actor, found, done=paint, group="view-counts", exclusive=True
        )

    def action_view_number(self, number: int) -> None:
        """1-9: the view with that number in the sidebar."""
        if not 1 <= number <= len(self.view_list):
            self.notify(f"no view {number}: the sidebar has {len(self.view_list)}")
            return
        view = self.view_list[number - 1]
        self.query_one("#views", OptionList).highlighted = number - 1
        self.apply_view(view)

    def _target_view(self) -> ViewInfo | None:
        """The saved view to rename or share: the sidebar's highlighted one when the sidebar
        has the focus, else the one on screen."""
        options = self.query_one("#views", OptionList)
        view = self.view
        if options.has_focus and options.highlighted is not None:
            view = self.view_list[options.highlighted]
        if view is None or view.builtin:
            self.notify("built-in views cannot be renamed or shared", severity="warning")
            return None
        return view

    def action_rename_view(self) -> None:
        from deskterm.screens.dialogs import PromptDialog
        view = self._target_view()
        if view is None:
            return

        def renamed(name: str | None) -> None:
            if name and name != view.name:
                self.app.call(
                    views.rename_view,
                    self.app.actor,
                    view.id,
                    name,
                    done=lambda v: self._changed(v, f"Renamed to {v.name!r}"),
                )

        self.app.push_screen(
            PromptDialog(f"Rename the view {view.name!r}", value=view.name), renamed
        )

    def action_share_view(self) -> None:
        from deskterm.screens.dialogs import PickerDialog
        view = self._target_view()
        if view is None:
            return
        me = self.app.agent.username

        def pick(teams: list) -> None:
            options = [("personal", "only me (personal)")]
            options += [(f"team:{t.slug}", f"team {t.name} ({t.slug})") for t in teams]
            options.append(("desk", "everyone (the whole desk)"))

            def chosen(scope: str | None) -> None:
                if scope and scope != view.scope:
                    where = SCOPE_NAMES.get(scope, scope.replace("team:", "team "))
                    self.app.call(
                        views.share_view,
                        self.app.actor,
                        view.id,
                        scope,
                        done=lambda v: self._changed(v, f"{v.name!r} is now for {where}"),
                    )

            self.app.push_screen(
                PickerDialog(f"Who sees {visual(view.name)!r}", options, current=view.scope),
                chosen,
            )

        def my_teams() -> list:
            return [t for t in directory.list_teams() if me in t.members]

        self.app.call(my_teams, done=pick)

    def _changed(self, view: ViewInfo, message: str) -> None:
        self.notify(message)
        if self.view is not None and self.view.id == view.id:
            self.view = view
        self.load_views(select_name=view.name)
