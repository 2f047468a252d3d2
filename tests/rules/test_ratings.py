"""The rating rules: levels, comments, the shares, the officer who returned the result, the
fold keeping one rating, and what the public lookup shows of a dossier."""

from __future__ import annotations

import pytest

from rules.errors import DossierError
from rules.lookup_pin import matching_index
from rules.public_progress import initials
from rules.ratings import (
    MAX_COMMENT,
    RatedRow,
    check_level,
    clean_comment,
    rating_indicators,
)


def test_levels_are_the_national_portal_s_three() -> None:
    assert [check_level(v).value for v in ("very_satisfied", "satisfied", "dissatisfied")] == [
        "very_satisfied",
        "satisfied",
        "dissatisfied",
    ]
    with pytest.raises(DossierError, match="level must be one of") as refused:
        check_level("Rất hài lòng")
    assert refused.value.field == "level"


def test_a_comment_is_plain_text_of_bounded_length() -> None:
    assert clean_comment("  Tốt\r\nnhanh\r ") == "Tốt\nnhanh"
    assert clean_comment("x" * MAX_COMMENT) == "x" * MAX_COMMENT
    for bad in ("x" * (MAX_COMMENT + 1), "a\x00b", "a\u202eb", "\x1b[31m"):
        with pytest.raises(DossierError) as refused:
            clean_comment(bad)
        assert refused.value.field == "comment"


def test_shares_per_level_and_group() -> None:
    rows = [
        RatedRow("xa-1", "1.000894", "an", "very_satisfied"),
        RatedRow("xa-1", "1.000894", "an", "satisfied"),
        RatedRow("xa-1", "2.000001", "binh", "dissatisfied"),
        RatedRow("xa-2", "1.000894", "chi", "very_satisfied"),
    ]
    figures = rating_indicators(rows)
    assert (figures.overall.total, figures.overall.very_satisfied) == (4, 2)
    assert figures.overall.very_satisfied_share == 0.5
    assert [(s.group, s.total) for s in figures.by_commune] == [("xa-1", 3), ("xa-2", 1)]
    assert [(s.group, s.total) for s in figures.by_procedure] == [("1.000894", 3), ("2.000001", 1)]
    by_officer = {s.group: s for s in figures.by_officer}
    assert by_officer["binh"].dissatisfied_share == 1.0 and by_officer["an"].satisfied == 1
    empty = rating_indicators([])
    assert empty.overall.total == 0 and empty.overall.satisfied_share is None
    assert empty.by_commune == []


def test_initials_keep_nothing_but_the_first_letters() -> None:
    assert initials("Nguyễn Văn An") == "N.V.A."
    assert initials("  đặng  thị   ánh ") == "Đ.T.Á."
    assert initials("") == "" and initials("(1) 2") == ""


def test_a_pin_matches_only_its_own_dossier() -> None:
    assert matching_index(["111111", "222222"], "222222") == 1
    assert matching_index(["111111"], "111112") is None
    assert matching_index([], "000000") is None  # the decoy never matches
    assert matching_index([""], "") is None  # a dossier without a PIN never opens
