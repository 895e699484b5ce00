"""The statistics behind measure and the approval's detectable difference, checked independently."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from queries.measure import stats as st

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("p", "n"), [(0.05, 2000), (0.2, 5000), (0.1, 800)])
def test_mde_matches_the_textbook_normal_approximation(p: float, n: int) -> None:
    # equal arms: d ≈ (z₀.₉₇₅ + z₀.₈) · √(2 p (1 − p) / n), the planning formula in every text
    textbook = (1.959964 + 0.841621) * math.sqrt(2 * p * (1 - p) / n)
    assert st.mde(p, n, n) == pytest.approx(textbook, rel=0.12)


def test_mde_shrinks_with_the_holdout_and_is_huge_for_13_people() -> None:
    sizes = [13, 50, 200, 1000, 10_000]
    values = [st.mde(0.05, 1000, h) for h in sizes]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0.15  # 13 people see only a giant effect
    assert st.mde(0.05, 1000, 0) is None


def test_mde_has_the_promised_power_by_simulation() -> None:
    """At the MDE, a two-sided 5 % test rejects about 80 % of the time."""
    rng = random.Random(3)
    p, n = 0.1, 600
    d = st.mde(p, n, n)
    assert d is not None
    hits, runs = 0, 300
    for _ in range(runs):
        x1 = sum(rng.random() < p + d for _ in range(n))
        x0 = sum(rng.random() < p for _ in range(n))
        est = st.proportion_diff(x1, n, x0, n)
        hits += est.p_value is not None and est.p_value < 0.05
    assert 0.70 <= hits / runs <= 0.90


def test_proportion_interval_covers_the_truth_about_95_percent() -> None:
    rng = random.Random(5)
    covered, runs = 0, 300
    for _ in range(runs):
        x1 = sum(rng.random() < 0.12 for _ in range(400))
        x0 = sum(rng.random() < 0.08 for _ in range(150))
        est = st.proportion_diff(x1, 400, x0, 150)
        covered += est.low <= 0.04 <= est.high
    assert 0.90 <= covered / runs <= 0.99


def test_srm_flags_a_skewed_split_only() -> None:
    shares = {"holdout": 10.0, "A": 45.0, "B": 45.0}
    assert st.srm_p_value({"holdout": 100, "A": 452, "B": 448}, shares) > 0.5
    assert st.srm_p_value({"holdout": 40, "A": 480, "B": 480}, shares) < 0.001


def test_cuped_narrows_the_interval_when_the_pre_period_predicts() -> None:
    rng = random.Random(9)
    pre = [rng.gauss(1000, 300) for _ in range(2000)]
    treated = [i % 2 for i in range(2000)]
    y = [x + 50 * t + rng.gauss(0, 100) for x, t in zip(pre, treated)]
    raw = st.mean_diff(
        [v for v, t in zip(y, treated) if t], [v for v, t in zip(y, treated) if not t]
    )
    adj = st.cuped(y, treated, pre)
    assert adj.estimate.low <= 50 <= adj.estimate.high
    assert (adj.estimate.high - adj.estimate.low) < (raw.high - raw.low) / 2
    assert adj.variance_reduction > 0.8


def test_degenerate_inputs_give_none_not_nan() -> None:
    assert st.proportion_diff(0, 0, 0, 10).diff is None
    none = st.proportion_diff(0, 100, 0, 13)
    assert none.diff == 0 and none.p_value == 1.0
    assert st.mean_diff([0.0, 0.0], [0.0, 0.0]).p_value == 1.0
    assert st.cuped([0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]).estimate.diff == 0.0


def test_count_does_not_load_scipy_or_statsmodels(tmp_path: Path, fixture_db: Path) -> None:
    (tmp_path / "segments").mkdir()
    (tmp_path / "segments" / "all.yaml").write_text("name: all\nwhere: {all: []}\n", "utf-8")
    (tmp_path / "kizuna.toml").write_text(f'[snapshot]\npath = "{fixture_db.as_posix()}"\n')
    code = f"""
        import json, sys
        from typer.testing import CliRunner
        from tui.cli.main import app
        r = CliRunner().invoke(app, ["count", "all", "--workspace", {str(tmp_path)!r}])
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("scipy", "statsmodels"))
        print(json.dumps({{"code": r.exit_code, "heavy": heavy}}))
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True
    )
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out == {"code": 0, "heavy": []}
