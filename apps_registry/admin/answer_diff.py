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


def answer_diff_html(previous: str, current: str) -> SafeString:
    """`current` with the words `previous` had and it lacks in <del>, the new ones in <ins>."""
    old_tokens, new_tokens = _TOKEN.findall(previous), _TOKEN.findall(current)
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    pieces = []
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        removed = escape("".join(old_tokens[old_start:old_end]))
        added = escape("".join(new_tokens[new_start:new_end]))
        if operation == "equal":
            pieces.append(added)
            continue
        if removed:
            pieces.append(f"<del>{removed}</del>")
        if added:
            pieces.append(f"<ins>{added}</ins>")
    # Every piece of text above went through escape(); the tags are ours.
    return mark_safe("".join(pieces))  # noqa: S308
