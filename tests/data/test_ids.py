"""Ids are labels: near misses are named, never matched."""

from __future__ import annotations

from accessplan.data.ids import label_hint, loose_id, near_ids


def test_loose_id_forgives_only_zeros_blanks_and_dot_zero():
    assert [loose_id(v) for v in ("01000", 1000, "1000.0", " 1000 ", "0", "000")] == [
        "1000",
        "1000",
        "1000",
        "1000",
        "0",
        "0",
    ]
    assert loose_id("A01") == "A01" and loose_id("10.5") == "10.5"


def test_near_ids_exclude_the_label_itself():
    assert near_ids("1", ["01", "1", "001", "10"]) == ["01", "001"]
    assert near_ids("H1", ["H01"]) == []  # zeros inside a label are part of it


def test_label_hint_text():
    assert label_hint("1", ["01", "02"]) == (
        " (the facility layer has '01': ids are labels, compared exactly as written)"
    )
    assert label_hint("7", ["01"]) == ""
    assert label_hint("12.0", ["12"], where="the areas layer").startswith(
        " (the areas layer has '12'"
    )
