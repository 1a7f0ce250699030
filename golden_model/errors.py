"""The toolkit's one error base class for values a user can fix.

Every check of a user-supplied value (config field, block parameter, command-line option) raises a subclass
of :class:`MGDError` whose message names the field, the value and what is allowed. The ``mgd`` command
prints such errors as one line and exits with status 2; anything else is a bug and keeps its traceback.
"""

__all__ = ["MGDError"]


class MGDError(ValueError):
    """A user-supplied value is not allowed; the message says which, what it was and what is allowed."""
