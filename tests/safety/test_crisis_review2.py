"""R2's review of the crisis phrase scan: whitespace and a few obvious phrases."""

from __future__ import annotations

import pytest

from loom.core.crisis import crisis_scan

# The same words typed with two spaces, a tab, a Windows line break from a textarea, or
# wrapped onto the next line must not slip past the scan.
SPACING = [
    "I want to kill  myself",
    "I want to kill\tmyself",
    "I want to kill\nmyself",
    "I want to kill\r\nmyself",
    "I  want  to  die",
    "I want to end\nmy life",
    "אני רוצה  למות",
    "אני רוצה\nלהתאבד",
]

# Journal text is markdown and may carry a little HTML: emphasis must not hide a phrase.
MARKUP = [
    "I want to *die*",
    "I want to _die_",
    "I want to <b>die</b>",
    "I want to kill my*self*",
    "אני רוצה *למות*",
    "אני רוצה <em>להתאבד</em>",
]

MORE_POSITIVE = [
    "I'd rather be dead",
    "Honestly I would rather be dead",
    "I want to overdose",
    "I'm going to overdose on my pills",
    "my life is not worth living",
    "Life isn't worth living anymore",
    "I want to go to sleep and never wake up",
    # A negation earlier in a run-on sentence, joined by "and"/"so"/"because".
    "I can't sleep and I want to die",
    "I don't have anyone so I want to die",
    "nobody cares because I want to die",
    "I want to fall asleep and not wake up",
    "אני רוצה לסיים את החיים שלי",
    "בא לי לגמור את החיים שלי",
    "לא בא לי לחיות",
    "לא בא לי לחיות יותר",
    "אני רוצה לישון ולא להתעורר",
    "בא לי להירדם ולא להתעורר יותר",
]

STILL_NEGATIVE = [
    "I'd rather be dead than wear that",
    "I would never overdose",
    "the film says life is worth living",
    "I'm not going to overdose",
    "rather be dead tired than bored",
    "לא בא לי לחיות בתל אביב",
    "אני לא רוצה לסיים את החיים שלי",
    "I want to sleep and not wake up until noon",
    "I'm tired and I don't want to die",
]


@pytest.mark.parametrize("text", SPACING)
def test_extra_whitespace_and_line_breaks_do_not_hide_a_phrase(text: str) -> None:
    assert crisis_scan(text) is not None, text


@pytest.mark.parametrize("text", MARKUP)
def test_markdown_emphasis_and_tags_do_not_hide_a_phrase(text: str) -> None:
    assert crisis_scan(text) is not None, text


def test_a_quoted_line_stays_quoted_after_markup_is_dropped() -> None:
    assert crisis_scan("> I want to *die*\nA line from the book") is None
    assert crisis_scan('She sang "I want to <b>die</b>" all night') is None


@pytest.mark.parametrize("text", MORE_POSITIVE)
def test_more_obvious_phrases(text: str) -> None:
    assert crisis_scan(text) is not None, text


@pytest.mark.parametrize("text", STILL_NEGATIVE)
def test_new_phrases_keep_their_negations_and_idioms(text: str) -> None:
    assert crisis_scan(text) is None, text


def test_a_line_break_still_ends_a_negation() -> None:
    # "not" on the line before does not cancel the phrase on the next one.
    assert crisis_scan("I'm not ok\nI want to die") is not None
