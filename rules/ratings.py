"""The citizen's satisfaction rating (đánh giá mức độ hài lòng): its levels, what makes one
valid, and the indicators counted from ratings (share per level, by group).

The levels are the national public-service portal's three. A dossier is rated once, and
only after its result was returned; the projection keeps the first rating whatever else
arrives (rules/projection.py), so every site counts the same one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import msgspec

from rules.errors import DossierError
from rules.event_kinds import DossierTransitioned, decode_body
from rules.event_record import EventRecord
from rules.lifecycle import Action

#: Longest comment kept, in characters: a few sentences typed on a tablet.
MAX_COMMENT = 500


class RatingLevel(enum.StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    DISSATISFIED = "dissatisfied"


RATING_LEVELS = frozenset(str(level) for level in RatingLevel)

LEVEL_LABELS_VI: dict[RatingLevel, str] = {
    RatingLevel.VERY_SATISFIED: "Rất hài lòng",
    RatingLevel.SATISFIED: "Hài lòng",
    RatingLevel.DISSATISFIED: "Không hài lòng",
}


class Rating(msgspec.Struct, frozen=True):
    """A dossier's rating as its state holds it."""

    level: str
    comment: str
    rated_at: str  # UTC ISO: when it was recorded
    returned_by: str  # the officer who returned the result
    event_id: str


class RatingRefused(DossierError):
    """A rating the rules do not take; ``reason`` says which rule (the page words it)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason

    @classmethod
    def not_returned(cls) -> RatingRefused:
        return cls("the result of this dossier is not returned yet", "not_returned")

    @classmethod
    def already_rated(cls) -> RatingRefused:
        return cls("this dossier is rated already: one rating per dossier", "already_rated")


def returned_by(events: Iterable[EventRecord]) -> str:
    """Who returned the result: the actor of the dossier's last ``return_result``."""
    officer = ""
    for record in events:
        if record.kind != "dossier_transitioned":
            continue
        body = decode_body(record.body)
        if isinstance(body, DossierTransitioned) and body.action == Action.RETURN_RESULT:
            officer = record.actor
    return officer


def check_level(text: str) -> RatingLevel:
    try:
        return RatingLevel(text)
    except ValueError:
        allowed = ", ".join(level.value for level in RatingLevel)
        raise DossierError(f"level must be one of {allowed}", "level") from None


def has_control_character(text: str) -> bool:
    """Whether ``text`` holds anything but printable characters and line breaks."""
    return any(not (ch.isprintable() or ch == "\n") for ch in text)


def clean_comment(text: str) -> str:
    """The comment as kept: trimmed, line breaks made "\\n"; DossierError when it is too long
    or holds a control character (plain text only: it is shown to staff as it is)."""
    kept = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(kept) > MAX_COMMENT:
        raise DossierError(f"the comment is over {MAX_COMMENT} characters", "comment")
    if has_control_character(kept):
        raise DossierError("the comment holds a control character", "comment")
    return kept


class RatedRow(msgspec.Struct, frozen=True, array_like=True):
    """One rating as the indicators count it."""

    node_id: str  # the commune node
    procedure_code: str
    returned_by: str
    level: str


class RatingShare(msgspec.Struct, frozen=True):
    group: str  # a commune's node id, a procedure code or an officer; "" for all
    total: int
    very_satisfied: int
    satisfied: int
    dissatisfied: int
    very_satisfied_share: float | None  # of total; None when nothing was rated
    satisfied_share: float | None
    dissatisfied_share: float | None


class RatingIndicators(msgspec.Struct, frozen=True):
    overall: RatingShare
    by_commune: list[RatingShare]
    by_procedure: list[RatingShare]
    by_officer: list[RatingShare]


def _share(group: str, levels: list[str]) -> RatingShare:
    total = len(levels)
    counts = {level: levels.count(level.value) for level in RatingLevel}

    def part(level: RatingLevel) -> float | None:
        return counts[level] / total if total else None

    return RatingShare(
        group=group,
        total=total,
        very_satisfied=counts[RatingLevel.VERY_SATISFIED],
        satisfied=counts[RatingLevel.SATISFIED],
        dissatisfied=counts[RatingLevel.DISSATISFIED],
        very_satisfied_share=part(RatingLevel.VERY_SATISFIED),
        satisfied_share=part(RatingLevel.SATISFIED),
        dissatisfied_share=part(RatingLevel.DISSATISFIED),
    )


def _by(rows: list[RatedRow], key: str) -> list[RatingShare]:
    groups: dict[str, list[str]] = {}
    for row in rows:
        groups.setdefault(getattr(row, key), []).append(row.level)
    return [_share(group, levels) for group, levels in sorted(groups.items())]


def rating_indicators(rows: Iterable[RatedRow]) -> RatingIndicators:
    kept = list(rows)
    return RatingIndicators(
        overall=_share("", [row.level for row in kept]),
        by_commune=_by(kept, "node_id"),
        by_procedure=_by(kept, "procedure_code"),
        by_officer=_by(kept, "returned_by"),
    )
