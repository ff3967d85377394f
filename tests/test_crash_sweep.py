"""Crash sweep: on every screen and dialog of the demo desk, open the palette, run every
discovery hit, check every search hit renders, press every binding; the app must still be
running and nothing unexpected may have been logged.

Screens are found, not listed: the sweep starts on the queue, and every non-modal screen
an action pushes (ticket, canned replies, rules, and whatever is added later) is swept
in turn, reached again by the same keys. Dialogs an action opens are swept on the spot.
"""

from __future__ import annotations

import os

from console_helpers import settle
from textual.command import CommandInput, CommandPalette
from textual.screen import ModalScreen, Screen

from deskterm.app import make_app
from deskterm.commands import all_entries, own_actions

#: DESKTERM_SWEEP=full (a deeper manual run) runs every palette hit through the palette and
#: searches for each; the quick default lists every hit (rendering each one's help),
#: searches for a few and presses every binding.
FULL = os.environ.get("DESKTERM_SWEEP") == "full"
#: Actions the sweep never runs: they end the app or leave the terminal.
SKIP_ACTIONS = {"quit", "app.quit", "suspend_process"}
#: (class, action) the sweep never runs: the rules screen's `e` starts $EDITOR.
SKIP_ON = {("RulesScreen", "edit")}
SIZE = (120, 40)


def check_alive(app, where: str) -> None:
    assert app.is_running, f"the app stopped after {where}"
    assert app.return_code is None, f"the app exited after {where}"
    assert not app.unexpected_errors, f"after {where}: {app.unexpected_errors}"


async def back_to(pilot, depth: int, base: type[Screen], path: tuple) -> None:
    """Close whatever an action opened until the swept screen is on top again; after an
    action that left the screen (Back), walk the last keys of its path again."""
    app = pilot.app
    for _ in range(6):
        if len(app.screen_stack) <= depth:
            break
        app.pop_screen()
        await settle(pilot, 1)
    missing = depth - len(app.screen_stack)
    if missing > 0:
        for key in path[len(path) - missing :]:
            await pilot.press(key)
            await settle(pilot, 1)
    assert isinstance(app.screen, base), f"could not get back to {base.__name__}"


def own_keys(screen: Screen) -> list[tuple[str, str]]:
    """(key, action) of every deskterm binding active on the screen, one key per action."""
    keys: dict[tuple[int, str], str] = {}
    for key, active in screen.active_bindings.items():
        action = active.binding.action
        if action in SKIP_ACTIONS or action not in own_actions(active.node):
            continue
        if (type(active.node).__name__, action) in SKIP_ON:
            continue
        keys.setdefault((id(active.node), action), key)
    return [(key, action) for (_, action), key in keys.items()]


#: Dialog classes already swept: later ones of the same class are only closed.
_SWEPT_DIALOGS: set[str] = set()


async def sweep_dialog(pilot, dialog: ModalScreen, where: str) -> None:
    """Palette on the dialog, then each of its keys until it closes (once per class)."""
    app = pilot.app
    if type(dialog).__name__ in _SWEPT_DIALOGS:
        return
    _SWEPT_DIALOGS.add(type(dialog).__name__)
    await pilot.press("ctrl+p")
    await settle(pilot, 1)
    check_alive(app, f"ctrl+p on {type(dialog).__name__} ({where})")
    if isinstance(app.screen, CommandPalette):
        await pilot.press("escape")
        await settle(pilot, 1)
    for key, action in own_keys(dialog):
        if app.screen is not dialog:
            break
        await pilot.press(key)
        await settle(pilot, 1)
        check_alive(app, f"{key} ({action}) on {type(dialog).__name__} ({where})")


async def after_action(
    pilot, depth: int, base: type[Screen], where: str, found: dict, path: tuple, key: str | None
) -> None:
    """Sweep a dialog the action opened; note a new screen (and the keys that reach it);
    get back to the base screen."""
    app = pilot.app
    check_alive(app, where)
    top = app.screen
    if isinstance(top, ModalScreen) and not isinstance(top, CommandPalette):
        await sweep_dialog(pilot, top, where)
    elif not isinstance(top, base) and len(app.screen_stack) > depth and key is not None:
        found.setdefault(type(top), path + (key,))
    await back_to(pilot, depth, base, path)


async def sweep_screen(pilot, base: type[Screen], path: tuple, found: dict[type, tuple]) -> int:
    """Every palette hit and every binding of the screen on top; returns actions run."""
    app = pilot.app
    depth = len(app.screen_stack)
    screen = app.screen
    focus = screen.focused
    titles = [entry.title for entry in all_entries(screen)]
    runs = 0
    previous = "start"
    # Discovery: the palette lists every entry (rendering its help), and each one runs
    # (in the quick run, once to check the listing; every binding is pressed below).
    for title in titles if FULL else titles[:1]:
        if title.lower() == "quit" or (base.__name__, title) == ("RulesScreen", "Edit in $EDITOR"):
            continue
        await pilot.press("ctrl+p")
        await settle(pilot, 1)
        check_alive(app, f"ctrl+p on {base.__name__}")
        palette = app.screen
        assert isinstance(palette, CommandPalette), f"no palette after {previous!r}: {palette}"
        previous = title
        shown = palette.query_one("CommandList")
        listed = [shown.get_option_at_index(i).hit.text for i in range(shown.option_count)]
        missing = set(titles) - set(listed)
        assert not missing, f"{base.__name__}: palette misses {missing}"
        shown.highlighted = listed.index(title)
        await pilot.press("enter")
        await settle(pilot, 1)
        runs += 1
        where = f"palette {title!r} on {base.__name__}"
        await after_action(pilot, depth, base, where, found, path, None)
        if app.screen is not screen:  # left and came back: a new screen of the same kind
            screen, focus = app.screen, app.screen.focused
        screen.set_focus(focus)
    # Search: each title typed into the palette finds it as the first hit (quick run: a few).
    for title in titles if FULL else titles[:3]:
        await pilot.press("ctrl+p")
        await settle(pilot, 1)
        app.screen.query_one(CommandInput).value = title
        await settle(pilot, 1)
        check_alive(app, f"searching {title!r} on {base.__name__}")
        palette = app.screen
        shown = palette.query_one("CommandList")
        assert shown.option_count >= 1, f"search {title!r} on {base.__name__} found nothing"
        first = shown.get_option_at_index(0)
        assert first.hit.text == title, f"search {title!r}: first hit {first.hit.text!r}"
        await pilot.press("escape")
        await pilot.pause()
        await back_to(pilot, depth, base, path)
    # Keys: every binding, from the screen's first focus each time.
    for key, action in own_keys(screen):
        if app.screen is not screen:
            screen, focus = app.screen, app.screen.focused
        screen.set_focus(focus)
        await pilot.pause()
        await pilot.press(key)
        await settle(pilot, 1)
        runs += 1
        where = f"key {key} ({action}) on {base.__name__}"
        await after_action(pilot, depth, base, where, found, path, key)
    return runs


async def test_crash_sweep_every_screen_dialog_palette_hit_and_binding(demo_db):
    from deskterm.screens.queue import QueueScreen

    found: dict[type, tuple] = {}
    swept: dict[str, int] = {}
    _SWEPT_DIALOGS.clear()
    pending: list[tuple[type, tuple]] = [(QueueScreen, ())]
    while pending:
        base, keys = pending.pop(0)
        app = make_app(demo_db, "ana", watch_interval=None, background=False)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, 2)
            for key in keys:
                await pilot.press(key)
                await settle(pilot, 2)
            assert isinstance(app.screen, base), f"{keys} did not reach {base.__name__}"
            swept[base.__name__] = await sweep_screen(pilot, base, keys, found)
            check_alive(app, f"the sweep of {base.__name__}")
        queued = set(swept) | {b.__name__ for b, _ in pending}
        pending += [(t, p) for t, p in found.items() if t.__name__ not in queued]
    assert {"QueueScreen", "TicketScreen", "CannedScreen", "RulesScreen"} <= set(swept), swept
    assert all(runs >= 5 for runs in swept.values()), swept
