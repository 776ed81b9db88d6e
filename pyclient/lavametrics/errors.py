"""The one root of every error lavametrics raises on purpose.

``except LavametricsError`` catches them all: bad input (a file, a flag, an environment
variable), an unreachable node, a missing Java. Each says what is wrong in one line, never
with a secret, and the CLI prints it as ``lavametrics: error: <message>`` with ``exit_code``.
The subclasses keep the builtin base they had (``ValueError`` for bad input, ``RuntimeError``
for a failed operation), so code that caught those still does.
"""

from __future__ import annotations


class LavametricsError(Exception):
    """One line for a person; ``exit_code`` is the CLI's status for it (2: usage, I/O or
    connection error; the codes are listed in ``lavametrics.cli``)."""

    exit_code = 2
