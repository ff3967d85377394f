"""Text on a terminal grid: right-to-left order, zero-width characters, cutting, glyphs."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from rich.cells import cell_len

from deskterm import wgl4
from deskterm.widgets import display, glyphs

PERSIAN = "فاکتور این ماه اشتباه است"  # "this month's invoice is wrong"
WITH_ZWNJ = "ایمیل\u200cها به صندوق ورودی نمی\u200cرسند"


@pytest.fixture(autouse=True)
def _reorder_mode():
    display.set_bidi_mode("reorder")
    yield
    display.set_bidi_mode("reorder")


def test_persian_is_drawn_in_visual_order_and_latin_is_left_alone():
    # Drawn left to right, the last word of the sentence (است) comes first.
    assert display.visual(PERSIAN) == "تسا هابتشا هام نیا روتکاف"
    assert display.visual("Račun za novembar") == "Račun za novembar"
    assert display.visual("Не работает VPN") == "Не работает VPN"


def test_brackets_in_right_to_left_text_are_mirrored():
    # "invoice (November)": drawn left to right, each bracket still opens towards the
    # words it encloses, as a terminal without bidi of its own cannot mirror them.
    assert display.visual("فاکتور (نوامبر) ماه") == "هام (ربماون) روتکاف"
    assert display.visual("سلام [/] تست") == "تست [/] مالس"
    assert display.visual("Račun (novembar)") == "Račun (novembar)"
    # in a left-to-right line the pair around Persian words is one right-to-left unit (N0)
    assert display.visual("Re: فاکتور (نوامبر)") == "Re: (ربماون) روتکاف"


def test_without_brackets_the_order_is_python_bidis_own():
    from bidi import get_display

    for text in (PERSIAN, "Petra Иванов سلام", "ایمیلها 12.5% abc", "רשימה 1, 2, 3 שלום  "):
        assert display.visual(text) == get_display(text)


def test_the_terminal_bidi_setting_keeps_logical_order():
    display.set_bidi_mode("terminal")
    assert display.visual(PERSIAN) == PERSIAN
    assert display.bidi_mode_from({"bidi": "terminal"}) == "terminal"
    assert display.bidi_mode_from({}) == "reorder"


def test_zero_width_and_bidi_control_characters_never_reach_the_terminal():
    shown = display.visual(WITH_ZWNJ)
    assert "\u200c" not in shown
    assert len(shown) == cell_len(shown) == len(WITH_ZWNJ) - 2
    sneaky = "a\u202eevil\u202c \u2066x\u2069\u200b\ufeff\x1b[31m\x07b"
    assert display.visual(sneaky) == "aevil x[31mb"


@pytest.mark.parametrize("width", [8, 12, 20, 40])
def test_fit_is_exactly_the_width_whatever_the_script(width):
    for text in (PERSIAN, WITH_ZWNJ, "Не работает VPN после обновления", "Račun ćevapi đ"):
        cell = display.fit(text, width)
        assert cell_len(cell) == width == len(cell)


def test_a_long_persian_subject_keeps_its_beginning_and_the_ellipsis_is_on_the_left():
    cell = display.fit(PERSIAN, 12)
    # Logical start "فاکتور این" kept; drawn right to left, so the … is at the left edge.
    assert cell.rstrip() == "…نیا روتکاف"
    assert display.fit("Printer does not print after the update", 12) == "Printer doe…"


def test_thread_text_wraps_first_then_reorders_each_line():
    from deskterm.widgets.thread_view import wrapped_lines

    lines = wrapped_lines(PERSIAN, 12)
    # Each wrapped row holds consecutive words of the logical text, reordered on its own.
    assert lines[0] == display.visual("فاکتور این")
    assert all(cell_len(line) <= 12 for line in lines)


def test_markup_like_text_is_plain_content():
    content = display.plain("[/] [bold]x[/bold] [link=http://evil]y[/link] [/link]")
    assert content.plain == "[/] [bold]x[/bold] [link=http://evil]y[/link] [/link]"


def test_every_console_glyph_is_in_the_common_font_set():
    assert set("".join(glyphs.ALL)) <= wgl4.SYMBOLS | set(string.printable)


def test_no_emoji_or_rare_symbol_in_console_source():
    root = Path(__file__).parents[1] / "deskterm"
    files = [root / "app.py", root / "commands.py", *root.glob("screens/**/*.py")]
    files += list(root.glob("widgets/*.py"))
    bad = {path.name: found for path in files
           if (found := wgl4.unsafe(path.read_text(encoding="utf-8")))}
    assert not bad


def test_the_glyph_rule_refuses_emoji_and_keeps_text_of_any_script():
    assert wgl4.unsafe("📎🗒✉☐★⚠╭━") == set("📎🗒✉☐★⚠╭━")
    assert wgl4.unsafe("Pisač Не работает سلام\u200cدنیا ◄►■·…│─┼") == set()
