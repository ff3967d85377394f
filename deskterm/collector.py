"""Python's cyclic garbage collector, held off while the console starts.

Start-up allocates some 100,000 long-lived objects (modules, classes, styles, widgets),
and the collector would walk them over and over before the first rows are up: about
50 ms of CPU on this machine, a sixth of deskterm's share of the start. So bare
`deskterm` holds it from its first line (`hold`) and the console lets it go with its
first rows on screen (`release`): what exists then is frozen (`gc.freeze`, moved out of
every later collection, as CPython's docs suggest for long-lived start-up objects) and
the collector runs as usual from there on. Only the few hundred KB of cycles dropped
during start-up stay unreclaimed.
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """Pause the collector until `release` (does nothing if it is off already)."""
    global _held
    if gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """Freeze what start-up made and run the collector again; only after `hold`."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()
