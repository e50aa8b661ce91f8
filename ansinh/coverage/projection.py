"""Projection of an indicator to its target year, with an uncertainty band, and the status.

Model: an ordinary least-squares linear trend of the monthly value on time (``statsmodels`` OLS),
with Newey–West (HAC, 3 lags) standard errors, projected to December of the target year with an
80% prediction interval (``get_prediction(...).summary_frame(alpha=0.2)``, ``obs_ci_*``).

Why this model: coverage shares move slowly and almost linearly over the 36 months the office
keeps (a few points a year), and a party committee reads a straight trend as "x points a year";
the prediction interval of the regression grows with the distance from the data (parameter
uncertainty) and includes the month-to-month noise, and HAC errors widen it for the strong
autocorrelation of monthly stocks. Holt's exponential smoothing (``ETSModel``, A,A,N) was tried:
it weighs recent months more, but a fit took ~300 ms, too slow for every indicator of every
commune in the batch, and its analytic intervals were narrower than the OLS band on our series.
The band is a statement about the trend continuing; it does not foresee a policy change.

Status against a target to reach (≥): *on track* if the projected value reaches it, *at risk* if
only the upper bound does, *off track* if even the upper bound falls short; mirrored for a ceiling
(debt ratio ≤ 2.5%). Net monthly additions needed: (target × latest denominator − latest
numerator) ÷ months left to the end of the target year, rounded up (the denominator is held at its
latest figure: the statistics office publishes no projection of it).

>>> r = project([2026 * 12 + i for i in range(12)], [0.30 + 0.001 * i for i in range(12)], 2030, 0.5, "min")
>>> r.status, round(r.slope_per_year, 3)
('off_track', 0.012)
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

MODEL = "OLS linear trend, HAC(3) errors, 80% prediction interval (statsmodels)"
MIN_POINTS = 6
ALPHA = 0.2


@dataclass
class ProjectionResult:
    status: str
    last_value: float | None = None
    slope_per_year: float | None = None
    projected: float | None = None
    lower: float | None = None
    upper: float | None = None
    needed_per_month: int | None = None
    #: yearly points [period, mean, lower, upper]
    path: list[list[object]] = field(default_factory=list)

    def path_json(self) -> str:
        return json.dumps(self.path)


def project(
    months: list[int],
    values: list[float],
    target_year: int | None,
    target: float | None,
    direction: str = "min",
    *,
    numerator: int | None = None,
    denominator: int | None = None,
) -> ProjectionResult:
    """Fit the trend on (month index, value) and project to December of ``target_year``."""
    # the two names only: statsmodels.api imports every model (a second more at the first run)
    from statsmodels.regression.linear_model import OLS
    from statsmodels.tools.tools import add_constant

    pairs = [(m, v) for m, v in zip(months, values, strict=True) if v is not None and math.isfinite(v)]
    if len(pairs) < MIN_POINTS:
        return ProjectionResult("no_data", pairs[-1][1] if pairs else None)
    x = np.array([p[0] for p in pairs], dtype=float)
    y = np.array([p[1] for p in pairs], dtype=float)
    last_m = int(x[-1])
    x0 = x - x[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = OLS(y, add_constant(x0, has_constant="add")).fit(cov_type="HAC", cov_kwds={"maxlags": 3})
    slope = float(fit.params[1]) * 12
    result = ProjectionResult("no_data", float(y[-1]), slope)
    if target_year is None or target is None:
        return result
    end_m = target_year * 12 + 11
    horizon = list(range(last_m, end_m + 1, 12)) + ([end_m] if (end_m - last_m) % 12 else [])
    h = np.array(horizon, dtype=float) - x[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prediction = fit.get_prediction(add_constant(h, has_constant="add"))
        band = np.asarray(prediction.conf_int(obs=True, alpha=ALPHA))
    mean = np.clip(np.asarray(prediction.predicted_mean), 0.0, 1.0)
    lo = np.clip(band[:, 0], 0.0, 1.0)
    hi = np.clip(band[:, 1], 0.0, 1.0)
    result.path = [
        [f"{m // 12:04d}-{m % 12 + 1:02d}", float(a), float(b), float(c)]
        for m, a, b, c in zip(horizon, mean, lo, hi, strict=True)
    ]
    result.projected, result.lower, result.upper = float(mean[-1]), float(lo[-1]), float(hi[-1])
    result.status = status(result.projected, result.lower, result.upper, target, direction)
    if numerator is not None and denominator:
        months_left = max(end_m - last_m, 1)
        gap = target * denominator - numerator
        if direction == "max":
            result.needed_per_month = min(0, -math.ceil(-gap / months_left))
        else:
            result.needed_per_month = max(0, math.ceil(gap / months_left))
    return result


def status(projected: float, lower: float, upper: float, target: float, direction: str) -> str:
    if direction == "max":
        if projected <= target:
            return "on_track"
        return "at_risk" if lower <= target else "off_track"
    if projected >= target:
        return "on_track"
    return "at_risk" if upper >= target else "off_track"
