"""Untrusted text made safe for every report.

What a submission prints and the messages of its exceptions reach the reports
(through the sandbox, which already replaces control characters, but a writer
must not depend on that). `visible` turns every character that could move a
terminal's cursor, change its colours, reorder a line (bidirectional
controls), or make an XML document invalid into a visible escape such as
``\\x1b``. The writers add their own quoting on top: XML escaping in JUnit,
fenced code blocks in Markdown, JSON's string escapes in results.json.
"""

from __future__ import annotations

import re

__all__ = ["visible", "one_line"]

# C0 controls but tab and newline, DEL and the C1 controls, the line and
# paragraph separators, bidirectional embeddings, overrides and isolates,
# lone surrogates, and the two characters XML forbids in the BMP.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """Return ``text`` with unsafe characters written as escapes.

    Line breaks are kept (a Windows line break becomes ``\\n``), tabs too;
    everything else that is not printable text becomes ``\\xNN`` or
    ``\\uNNNN``, so that nothing is lost from sight and nothing is executed
    by a terminal or rejected by an XML parser.

    Examples
    --------
    >>> visible("red \\x1b[31mtext\\r\\n")
    'red \\\\x1b[31mtext\\n'
    """
    return _UNSAFE.sub(_escape, text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """`visible` text on one line: line breaks and tabs become spaces."""
    return " ".join(visible(text).split())
