"""A footer that shows only whole keys: what does not fit the width is left out, never cut.

Textual's Footer lays every shown binding out in a row and clips it, so at 80 columns the
last key is cut mid-word and, after a resize, the docked palette key can leave stray
cells. This one measures each key and keeps them in binding order while they fit, always
keeping `?` (help, which lists the rest) and the palette key; it lays itself out again
on every resize.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Actions that stay in the footer however narrow it gets.
ALWAYS = {"help", "app.help"}


class DeskFooter(Footer):
    """The compact footer of every deskterm screen."""

    def __init__(self, **kwargs) -> None:
        super().__init__(compact=True, **kwargs)
        #: The width laid out for and the keys shown (FooterKey arguments): a recompose that
        #: would show the same keys at the same width is skipped (bindings-changed signals
        #: come several times per focus change, each one rebuilt every key).
        self._shown: tuple[int, tuple[tuple, ...]] | None = None
        self._displays: dict[tuple[str, str | None], str] = {}

    def _plan(self) -> tuple[tuple, ...]:
        """(key, display, description, action, disabled, tooltip, classes) of each key
        that fits, in binding order; the palette key last."""
        active = self.screen.active_bindings
        by_action: dict[str, tuple] = {}
        for _, binding, enabled, tooltip in active.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = (binding, enabled, tooltip)
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        width = self.size.width or self.app.size.width
        room = width - (self._key_width(palette[1]) + 1 if palette else 0)
        keep: list[str] = []
        needed = sum(self._key_width(by_action[a][0]) for a in by_action if a in ALWAYS)
        for action, (binding, _, _) in by_action.items():
            size = self._key_width(binding)
            if action in ALWAYS:
                keep.append(action)
            elif size + needed <= room:
                keep.append(action)
                needed += size
        plan = []
        for action in keep:
            binding, enabled, tooltip = by_action[action]
            plan.append((
                binding.key, self._key_display(binding), binding.description,
                binding.action, not enabled, tooltip or binding.tooltip or binding.description,
                "-compact",  # always compact: no data_bind, no restyle on mount
            ))
        if palette is not None:
            _, binding, enabled, tooltip = palette
            plan.append((
                binding.key, self._key_display(binding), binding.description,
                binding.action, not enabled, binding.tooltip or binding.description,
                "-command-palette -compact",
            ))
        return tuple(plan)

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        plan = self._plan()
        self._shown = (self.size.width, plan)
        for key, display, description, action, disabled, tooltip, classes in plan:
            yield FooterKey(
                key, display, description, action,
                disabled=disabled, tooltip=tooltip, classes=classes,
            )

    def _key_width(self, binding) -> int:
        """Cells a compact footer key takes: key, space, description, right margin."""
        return cell_len(self._key_display(binding)) + 1 + cell_len(binding.description) + 1

    def _key_display(self, binding) -> str:
        """The app's display of a binding's key, worked out once per key (each layout
        asks for every key two or three times)."""
        known = (binding.key, binding.key_display)
        if known not in self._displays:
            self._displays[known] = self.app.get_key_display(binding)
        return self._displays[known]

    def _recompose_if_changed(self) -> None:
        if self.is_attached and (self.size.width, self._plan()) != self._shown:
            self.refresh(recompose=True)

    def bindings_changed(self, screen) -> None:  # noqa: ANN001 - a Screen
        self._bindings_ready = True
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    def on_resize(self) -> None:
        if self._bindings_ready:
            self.call_after_refresh(self._recompose_if_changed)

    def shown_keys(self) -> list[str]:
        """The key displays now in the footer (for tests and help)."""
        return [key.key_display for key in self.query(FooterKey)]
