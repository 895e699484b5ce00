"""The statistics of a holdout test, from scipy and statsmodels (no hand-written formulas).

Imported lazily by `measure`, `backtest` and the approval review only when they need it, so
`kizuna count` does not pay for scipy's start-up.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

LEVEL = 0.95
POWER = 0.80


@dataclass(frozen=True)
class Estimate:
    """A difference (treated − holdout) with its 95 % interval and two-sided p-value."""

    diff: float | None
    low: float | None
    high: float | None
    p_value: float | None


NONE = Estimate(None, None, None, None)


def _num(x: object) -> float | None:
    """A finite float, else None (JSON has no NaN)."""
    try:
        # any driver value (Decimal, numpy, text, None): float() decides, errors caught below
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def rate_interval(x: int, n: int) -> tuple[float | None, float | None]:
    """A conversion rate's 95 % Wilson interval (statsmodels)."""
    if n <= 0:
        return None, None
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(x, n, alpha=1 - LEVEL, method="wilson")
    return _num(low), _num(high)


def proportion_diff(x1: int, n1: int, x0: int, n0: int) -> Estimate:
    """Difference of two conversion rates: Newcomb's interval and a score test (statsmodels)."""
    if n1 <= 0 or n0 <= 0:
        return NONE
    from statsmodels.stats.proportion import (
        confint_proportions_2indep,
        test_proportions_2indep,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        low, high = confint_proportions_2indep(x1, n1, x0, n0, method="newcomb", compare="diff")
        test = test_proportions_2indep(x1, n1, x0, n0, method="score", compare="diff")
    p = _num(test.pvalue)
    if p is None and x1 * n0 == x0 * n1:
        p = 1.0  # no events (or all events) in both arms: nothing to tell apart
    return Estimate(x1 / n1 - x0 / n0, _num(low), _num(high), p)


def mean_diff(treated: Sequence[float], holdout: Sequence[float]) -> Estimate:
    """Difference of two means (revenue per person): Welch's t-test and its interval (scipy)."""
    if len(treated) < 2 or len(holdout) < 2:
        return NONE
    import numpy as np
    from scipy import stats

    a, b = np.asarray(treated, dtype=float), np.asarray(holdout, dtype=float)
    diff = float(a.mean() - b.mean())
    if a.var() == 0 and b.var() == 0:
        return Estimate(diff, diff, diff, 1.0 if diff == 0 else 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.ttest_ind(a, b, equal_var=False)
        ci = res.confidence_interval(LEVEL)
    return Estimate(diff, _num(ci.low), _num(ci.high), _num(res.pvalue))


def srm_p_value(observed: dict[str, int], shares: dict[str, float]) -> float | None:
    """Sample-ratio mismatch: chi-square goodness of fit of the arm sizes to the configured
    shares (scipy). A small p-value means the split is not what the campaign asked for."""
    keys = [k for k in shares if shares[k] > 0]
    total = sum(observed.get(k, 0) for k in keys)
    if len(keys) < 2 or total == 0:
        return None
    from scipy import stats

    weight = sum(shares[k] for k in keys)
    expected = [total * shares[k] / weight for k in keys]
    res = stats.chisquare([observed.get(k, 0) for k in keys], f_exp=expected)
    return _num(res.pvalue)


@dataclass(frozen=True)
class Adjusted:
    """A CUPED estimate: the treated coefficient once each person's pre-period is accounted for."""

    estimate: Estimate
    variance_reduction: float | None  # share of the outcome's variance the pre-period explains


def cuped(y: Sequence[float], treated: Sequence[int], pre: Sequence[float]) -> Adjusted:
    """CUPED (Deng et al. 2013) as a regression: y ~ treated + centred pre-period (statsmodels
    OLS, heteroskedasticity-robust HC1 errors). Without a varying pre-period it is the raw
    difference."""
    import numpy as np
    import statsmodels.api as sm

    yv = np.asarray(y, dtype=float)
    tv = np.asarray(treated, dtype=float)
    xv = np.asarray(pre, dtype=float)
    n1 = int(tv.sum())
    if n1 < 2 or len(tv) - n1 < 2:
        return Adjusted(NONE, None)
    cols = [np.ones_like(tv), tv]
    reduction = None
    if xv.var() > 0:
        cols.append(xv - xv.mean())
        if yv.var() > 0:
            r = float(np.corrcoef(yv, xv)[0, 1])
            reduction = _num(r * r)
    design = np.column_stack(cols)
    if yv.var() == 0:
        return Adjusted(Estimate(0.0, 0.0, 0.0, 1.0), reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.OLS(yv, design).fit(cov_type="HC1")
        low, high = fit.conf_int(1 - LEVEL)[1]
    return Adjusted(
        Estimate(_num(fit.params[1]), _num(low), _num(high), _num(fit.pvalues[1])), reduction
    )


def mde(rate: float, treated: int, holdout: int) -> float | None:
    """The smallest rise in conversion (treated − holdout, as a share) that this split detects
    with 80 % power at the 5 % level: statsmodels' power for Cohen's h, solved for the rate."""
    if treated <= 0 or holdout <= 0:
        return None
    from statsmodels.stats.power import NormalIndPower

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            h = NormalIndPower().solve_power(
                effect_size=None,
                nobs1=holdout,
                alpha=1 - LEVEL,
                power=POWER,
                ratio=treated / holdout,
            )
        except Exception:  # the solver gives up on degenerate inputs
            return None
    h = _num(h)
    if h is None:
        return None
    from scipy.optimize import brentq
    from statsmodels.stats.proportion import proportion_effectsize

    p = min(max(rate, 0.0), 1.0)
    gap = lambda d: proportion_effectsize(p + d, p) - h  # noqa: E731
    if p >= 1.0 or gap(1.0 - p) < 0:
        return None  # not even a jump to 100 % would be seen
    return float(brentq(gap, 0.0, 1.0 - p))
