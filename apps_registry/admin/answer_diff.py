"""A word-level diff of one answer between two rounds of an application, rendered on the server as
HTML: removed words in <del>, added words in <ins>, every piece of the partner's text escaped."""

from __future__ import annotations

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Words, runs of whitespace and single punctuation marks, so "90 days." → "30 days." marks only
# the number, and joining the tokens gives back the text exactly.
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")

# SequenceMatcher (without autojunk, which would ignore every space in a long answer) does work
# that grows with the product of the two token counts, and faster still on repetitive text: 5,000
# characters of 50 repeated words took 21 s. Past this many token pairs in the part that changed,
# the diff shows that part removed whole and its replacement added whole (a few ms at most).
MAX_COMPARED_TOKEN_PAIRS = 250_000


def answer_diff_html(previous: str, current: str) -> SafeString:
    """`current` with the words `previous` had and it lacks in <del>, the new ones in <ins>.

    The tokens both start and end with are kept as they are and only the middle is compared, so
    a long answer with one sentence edited still shows a word diff within the size bound."""
    old_tokens, new_tokens = _TOKEN.findall(previous), _TOKEN.findall(current)
    start = _common_prefix_length(old_tokens, new_tokens)
    end = _common_prefix_length(old_tokens[start:][::-1], new_tokens[start:][::-1])
    old_changed = old_tokens[start : len(old_tokens) - end]
    new_changed = new_tokens[start : len(new_tokens) - end]
    pieces = [
        escape("".join(new_tokens[:start])),
        *_changed_pieces(old_changed, new_changed),
        escape("".join(new_tokens[len(new_tokens) - end :])),
    ]
    # Every piece of text above went through escape(); the tags are ours.
    return mark_safe("".join(pieces))  # noqa: S308


def _common_prefix_length(old_tokens: list[str], new_tokens: list[str]) -> int:
    length = 0
    for old, new in zip(old_tokens, new_tokens, strict=False):
        if old != new:
            break
        length += 1
    return length


def _changed_pieces(old_tokens: list[str], new_tokens: list[str]) -> list[str]:
    """Escaped HTML for the middle of the answer, where `old_tokens` became `new_tokens`."""
    if len(old_tokens) * len(new_tokens) > MAX_COMPARED_TOKEN_PAIRS:
        return _replaced(old_tokens, new_tokens)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    pieces = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            pieces.append(escape("".join(new_tokens[new_start:new_end])))
        else:
            pieces += _replaced(old_tokens[old_start:old_end], new_tokens[new_start:new_end])
    return pieces


def _replaced(old_tokens: list[str], new_tokens: list[str]) -> list[str]:
    removed, added = escape("".join(old_tokens)), escape("".join(new_tokens))
    return [
        *([f"<del>{removed}</del>"] if removed else []),
        *([f"<ins>{added}</ins>"] if added else []),
    ]
