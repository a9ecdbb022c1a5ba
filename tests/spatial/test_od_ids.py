"""Ids in user OD tables are labels: kept as written, mismatches named as such."""

from __future__ import annotations

import pandas as pd
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.spatial.travel_time import read_od_table


def test_leading_zeros_are_kept_and_distinct(tmp_path):
    """'1' and '01' are two areas; '01000' stays '01000'."""
    path = tmp_path / "od.csv"
    path.write_text("o,s,m\n01000,H1,5\n1,H1,6\n01,H1,7\n")
    od = read_od_table(
        path,
        origin_ids=["01000", "1", "01"],
        site_ids=["H1"],
        origin_col="o",
        site_col="s",
        minutes_col="m",
    )
    assert dict(zip(od["origin_id"], od["minutes"], strict=True)) == {
        "01": 7.0,
        "01000": 5.0,
        "1": 6.0,
    }


def test_numeric_parquet_ids_against_text_ids_are_named(tmp_path):
    """A Parquet OD table whose origin ids lost their leading zeros (stored as numbers)."""
    path = tmp_path / "od.parquet"
    pd.DataFrame({"o": [1000, 2000], "s": ["H1", "H1"], "m": [5.0, 6.0]}).to_parquet(path)
    with pytest.raises(InputValidationError) as info:
        read_od_table(
            path,
            origin_ids=["01000", "02000"],
            site_ids=["H1"],
            origin_col="o",
            site_col="s",
            minutes_col="m",
        )
    text = str(info.value)
    assert "column 'o'" in text and "rows 1, 2" in text
    assert "2 unknown origin id(s): '1000', '2000'" in text
    assert "differ from known ids only in leading zeros" in text
    assert "'1000' here vs '01000' in the areas layer" in text
    assert "the file's origin ids are numbers and the areas layer's ids are text" in text


def test_text_ids_that_differ_only_in_zeros_are_named(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("o,s,m\n1000,H1,5\n")
    with pytest.raises(InputValidationError) as info:
        read_od_table(
            path,
            origin_ids=["01000"],
            site_ids=["H1"],
            origin_col="o",
            site_col="s",
            minutes_col="m",
        )
    text = str(info.value)
    assert "row 2" in text and "'1000' here vs '01000'" in text
    assert "are numbers" not in text  # both are text: only the spelling differs


def test_float_text_matches_numeric_ids_only(tmp_path):
    """'12.0' is the number 12 when the known ids are numbers, but not the label '12'."""
    path = tmp_path / "od.csv"
    path.write_text("o,s,m\n12.0,H1,5\n")
    od = read_od_table(
        path, origin_ids=[12], site_ids=["H1"], origin_col="o", site_col="s", minutes_col="m"
    )
    assert od["origin_id"].tolist() == [12]
    with pytest.raises(InputValidationError, match=r"'12\.0' here vs '12'"):
        read_od_table(
            path, origin_ids=["12"], site_ids=["H1"], origin_col="o", site_col="s", minutes_col="m"
        )
