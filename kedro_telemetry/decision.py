"""The consent in force, and the words that say who decided it.

A lower module of its own, so that ``consent`` (which decides) and ``prompt``
(which asks) both use it and neither imports the other back.
"""

from __future__ import annotations

__all__ = ["Decision"]


class Decision:
    """What was decided, by which consent source, and what did not count.

    ``wording`` and ``silent`` come from the source's entry in
    ``consent.SOURCES``; ``notes`` name settings that were read and did not
    count, with the reason (a policy's yes, a yes git tracks).
    """

    __slots__ = ("consent", "notes", "silent", "source", "where", "wording")

    def __init__(  # noqa: PLR0917 (the fields, in order)
        self,
        consent: bool | None,
        source: str,
        where: str = "",  # the variable's name or the file's path
        wording: str = "",  # how the source names itself to people
        silent: bool = True,  # a no from this source is not reminded on stderr
        notes: tuple[str, ...] = (),
    ) -> None:
        self.consent = consent
        self.source = source
        self.where = where
        self.wording = wording
        self.silent = silent
        self.notes = notes

    def __repr__(self) -> str:
        return f"Decision({self.consent!r}, {self.source!r}, {self.where!r})"

    @property
    def collects(self) -> bool:
        """Only an explicit yes lets anything be collected."""
        return self.consent is True

    def describe(self) -> str:
        """One line for people: what was decided and by which setting."""
        if self.consent is None:
            return "not decided yet"
        verb = "enabled" if self.consent else "disabled"
        return f"{verb} by {self.wording} {self.where}".rstrip()
