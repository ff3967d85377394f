"""The command palette (`ctrl+p`): every action of the screen underneath, by name.

Entries come from the described bindings that are active on the screen (its own, its
focused widget's, the app's), so a new screen or binding shows up without a change here,
plus a few desk-wide entries (canned replies, rules); `screens/goto.py` adds `#42` and the
recent tickets. Titles and help are
built as plain `Content`, never parsed as markup: a view name or key display like `[/]`
is text. Textual's generic system commands are left out on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.screen import Screen

from deskterm.widgets.display import highlight, plain


@dataclass(frozen=True)
class Entry:
    """One palette command."""

    title: str
    help: str
    run: Callable[[], Any]
    discover: bool = True


def _runner(node: Any, action: str) -> Callable[[], Any]:
    async def run() -> None:
        await node.run_action(action)

    return run


def own_actions(node: Any) -> set[str]:
    """Actions bound in deskterm's own classes of `node` (not Textual's scroll keys...)."""
    actions: set[str] = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith("deskterm"):
            for binding in cls.__dict__.get("BINDINGS", ()):
                actions.add(binding.action if hasattr(binding, "action") else binding[1])
    return actions


def binding_entries(screen: Screen) -> list[Entry]:
    """One entry per described deskterm binding active on `screen`, in the order `?` lists
    them; bindings with the same title (home and `g g` both go to the top) are one entry
    listing both keys."""
    app = screen.app
    seen: set[tuple[int, str]] = set()
    own: dict[int, set[str]] = {}
    by_title: dict[str, tuple[list[str], str, Callable[[], Any], int]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        slot = (id(active.node), binding.action)
        if not binding.description or binding.system or slot in seen:
            continue
        if binding.action not in own.setdefault(id(active.node), own_actions(active.node)):
            continue
        seen.add(slot)
        keys = binding.key_display or app.get_key_display(binding)
        what = binding.tooltip if binding.tooltip and binding.tooltip != binding.description else ""
        if binding.description in by_title:
            by_title[binding.description][0].append(keys)
            continue
        # as `?` lists them: the screen's own actions, then its widgets' (scrolling, rows),
        # then the desk-wide ones
        rank = 0 if active.node is screen else (2 if active.node is app else 1)
        by_title[binding.description] = ([keys], what, _runner(active.node, binding.action),
                                         rank)
    ordered = sorted(by_title.items(), key=lambda item: item[1][3])
    return [
        Entry(title, f"{', '.join(keys)}  ·  {what}" if what else ", ".join(keys), run)
        for title, (keys, what, run, _) in ordered
    ]


def desk_entries(screen: Screen) -> list[Entry]:
    """Entries that work from any screen (unless the screen has them as bindings)."""
    app = screen.app
    entries = []
    for title, help_text, action in getattr(app, "PALETTE_ACTIONS", ()):
        entries.append(Entry(title, help_text, _runner(app, action)))
    return entries


def all_entries(screen: Screen) -> list[Entry]:
    """Screen bindings first, then desk-wide entries whose title is not already there."""
    entries = binding_entries(screen)
    titles = {e.title.casefold() for e in entries}
    entries += [e for e in desk_entries(screen) if e.title.casefold() not in titles]
    return entries


def _help(text: str) -> Content:
    return Content(text)


class DeskCommands(Provider):
    """Palette entries for the screen underneath the palette."""

    def _entries(self) -> list[Entry]:
        return all_entries(self.screen)

    async def discover(self) -> Hits:
        for entry in self._entries():
            if entry.discover:
                yield DiscoveryHit(
                    plain(entry.title), entry.run, text=entry.title, help=_help(entry.help)
                )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self._entries():
            score = max(matcher.match(entry.title), matcher.match(entry.help) * 0.5)
            if score > 0:
                yield Hit(
                    score,
                    highlight(matcher, entry.title),
                    entry.run,
                    text=entry.title,
                    help=_help(entry.help),
                )
