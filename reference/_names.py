"""Look up a function by the name a caller gave, with a helpful error."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def lookup(table: Mapping[str, T], name: object, argument: str, kind: str) -> T:
    """Return ``table[name]``, or raise ValueError if `name` is not a key.

    Parameters
    ----------
    table : mapping from str
        The known names and what they stand for.
    name : object
        The name the caller passed; anything, since it comes from user code.
    argument : str
        How the caller spelled the argument, e.g. ``"activations[2]"``.
    kind : str
        What a name denotes, e.g. ``"divergence"``, for the message.

    Raises
    ------
    ValueError
        Naming the argument, the value given and the names allowed.
    """
    # The isinstance test keeps unhashable values (a list, say) out of `in`.
    if isinstance(name, str) and name in table:
        return table[name]

    choices = ", ".join(repr(key) for key in table)
    raise ValueError(
        f"{argument}={name!r} is not a known {kind}; use one of {choices}."
    )
