"""Typed modal dialogs: confirm, pick one of many (fuzzy), ask for a line of text."""

from deskterm.screens.dialogs.confirm import ConfirmDialog
from deskterm.screens.dialogs.picker import PickerDialog
from deskterm.screens.dialogs.prompt import PromptDialog

__all__ = ["ConfirmDialog", "PickerDialog", "PromptDialog"]
