"""What the console tests share: waiting until the app's workers are done."""

from __future__ import annotations

from textual.worker import WorkerCancelled


async def settle(pilot, rounds: int = 3) -> None:
    """Let workers finish and their results reach the screen (`rounds` passes, since one
    worker's result often starts another)."""
    for _ in range(rounds):
        await pilot.pause()
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # superseded by a newer exclusive worker (live refresh)
            pass
    await pilot.pause()


def screen_lines(app) -> list[str]:
    """The characters the terminal gets for the screen on top, one string a row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
