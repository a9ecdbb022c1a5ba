"""Spatial availability: the paper's toy example, hand-worked alpha, identity, brute force."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from accessplan.data.errors import InputValidationError
from accessplan.spatial.availability import spatial_availability
from accessplan.spatial.decay import Decay, gaussian_decay, step_decay
from accessplan.spatial.errors import UnknownDecayError


@dataclass(frozen=True)
class NegativeExponential(Decay):
    """exp(-rate * minutes): the decay of Soukhov et al.'s toy example (ipea's decay_exponential)."""

    rate: float
    type_name: ClassVar[str] = "negative_exponential"

    def __call__(self, minutes) -> np.ndarray:
        return np.exp(-self.rate * np.maximum(np.asarray(minutes, dtype=float), 0.0))


def _od(rows):
    return pd.DataFrame(rows, columns=["origin_id", "site_id", "minutes"])


def test_soukhov_toy_example():
    # Soukhov et al. (2023): three population centres, three employment centres,
    # f = exp(-0.1 t); ipea's test of spatial_availability expects 66833, 133203, 9963
    times = {"A": (15, 30, 100), "B": (30, 15, 100), "C": (100, 100, 15)}
    od = _od([(o, str(j + 1), float(t)) for o, ts in times.items() for j, t in enumerate(ts)])
    demand = pd.Series({"A": 50000.0, "B": 150000.0, "C": 10000.0})
    supply = pd.Series({"1": 100000.0, "2": 100000.0, "3": 10000.0})
    got = spatial_availability(od, demand, supply, decay=NegativeExponential(rate=0.1))
    assert got["availability"].round().to_dict() == {"A": 66833.0, "B": 133203.0, "C": 9963.0}
    assert got["availability"].sum() == pytest.approx(210000.0, rel=1e-14)
    assert got["availability_per_capita"].to_dict() == pytest.approx(
        (got["availability"] / demand).to_dict()
    )


def test_hand_worked_alpha():
    # one site of 8 beds reached by a (100 people), b (300) and the empty c
    od = _od([("a", "h", 5.0), ("b", "h", 12.0), ("c", "h", 1.0)])
    demand = pd.Series({"a": 100.0, "b": 300.0, "c": 0.0, "d": 10.0})
    supply = pd.Series({"h": 8.0})
    kw = {"decay": "uniform", "catchment_minutes": 30}
    got = spatial_availability(od, demand, supply, **kw)
    assert got["availability"].to_dict() == pytest.approx({"a": 2, "b": 6, "c": 0, "d": 0})
    assert got["availability_per_capita"].to_dict() == pytest.approx(
        {"a": 0.02, "b": 0.02, "c": 0, "d": 0}
    )
    assert got["reaches_supply"].to_dict() == {"a": True, "b": True, "c": True, "d": False}
    # alpha = 0: equal shares among the populated areas (the empty c takes none)
    got = spatial_availability(od, demand, supply, alpha=0, **kw)
    assert got["availability"].to_dict() == pytest.approx({"a": 4, "b": 4, "c": 0, "d": 0})
    # alpha = 2: 8 * 100**2 / (100**2 + 300**2) = 0.8
    got = spatial_availability(od, demand, supply, alpha=2, **kw)
    assert got["availability"].to_dict() == pytest.approx({"a": 0.8, "b": 7.2, "c": 0, "d": 0})


def _brute(od, demand, supply, decay, alpha, catchment):
    out = {a: 0.0 for a in demand.index}
    for s, cap in supply.items():
        claims = {}
        for o, site, t in od.itertuples(index=False):
            if site == s and t <= catchment and demand[o] > 0:
                claims[o] = demand[o] ** alpha * float(decay(np.array([t]))[0])
        total = sum(claims.values())
        for o, c in claims.items():
            if total > 0:
                out[o] += cap * c / total
    return out


@pytest.mark.parametrize("seed", range(10))
def test_brute_force_and_supply_is_preserved(seed):
    rng = np.random.default_rng(seed)
    rows = [
        (f"o{i}", f"s{j}", float(rng.uniform(0, 45)))
        for i in range(10)
        for j in range(6)
        if rng.random() < 0.55
    ]
    od = _od(rows)
    demand = pd.Series(rng.integers(0, 800, 10).astype(float), index=[f"o{i}" for i in range(10)])
    supply = pd.Series(rng.integers(0, 30, 6).astype(float), index=[f"s{j}" for j in range(6)])
    alpha = [1.0, 0.5, 1.7][seed % 3]
    decay = gaussian_decay(catchment_minutes=40) if seed % 2 else step_decay({20: 1.0, 40: 0.3})
    got = spatial_availability(od, demand, supply, decay=decay, alpha=alpha, catchment_minutes=40)
    brute = _brute(od, demand, supply, decay, alpha, 40)
    assert got["availability"].to_dict() == pytest.approx(brute, rel=1e-12, abs=1e-12)
    # every site with weighted population in reach gives out all of its supply
    claimed = {s for o, s, t in rows if t <= 40 and demand[o] > 0 and decay(np.array([t]))[0] > 0}
    assert got["availability"].sum() == pytest.approx(supply[sorted(claimed)].sum(), rel=1e-12)


def test_every_problem_is_listed():
    od = _od([("a", "h", -1.0), ("a", "k", 2.0)])
    with pytest.raises(InputValidationError) as err:
        spatial_availability(
            od,
            pd.Series({"a": np.nan}),
            pd.Series({"h": 1.0}),
            decay="uniform",
            alpha=-1,
            catchment_minutes=float("inf"),
        )
    text = str(err.value)
    for part in ("alpha must be a finite number >= 0", "catchment_minutes must be", "NaN"):
        assert part in text, part
    with pytest.raises(UnknownDecayError):
        spatial_availability(
            od,
            pd.Series({"a": 1.0}),
            pd.Series({"h": 1.0, "k": 1.0}),
            decay="gaussian",
        )
