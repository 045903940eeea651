"""What a count of comparisons can say about an error rate (issue 20's honest evaluation).

A false-accept rate measured on n impostor comparisons is an estimate: with k false matches,
the 95 % Clopper–Pearson interval's upper end is the rate the data cannot rule out. With no
false match at all, that upper end is the lowest FAR the data can support — a "TAR at FAR 1e-4"
from 7,638 impostors is a figure the data cannot back (its bound is about 4.8e-4).
"""

from __future__ import annotations

import math

CONFIDENCE = 0.95


def _tail_at_most(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), summed in log space (n may be in the millions)."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0 if k < n else 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        log_term = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        total += math.exp(log_term + i * log_p + (n - i) * log_q)
    return min(total, 1.0)


def far_upper_bound(false_matches: int, impostors: int, confidence: float = CONFIDENCE) -> float:
    """The upper end of the two-sided Clopper–Pearson interval for a rate seen as
    ``false_matches`` of ``impostors`` (the p where P(X ≤ k) falls to (1 − confidence) / 2)."""
    if impostors <= 0:
        return 1.0
    if not 0 <= false_matches <= impostors:
        raise ValueError(f"{false_matches} false matches of {impostors} comparisons")
    if false_matches == impostors:
        return 1.0
    alpha = (1.0 - confidence) / 2
    if false_matches == 0:  # closed form: (1 − p)^n = alpha
        return 1.0 - float(alpha ** (1.0 / impostors))
    low, high = false_matches / impostors, 1.0
    for _ in range(100):  # bisection: the tail falls as p grows
        mid = (low + high) / 2
        if _tail_at_most(false_matches, impostors, mid) > alpha:
            low = mid
        else:
            high = mid
    return high


def lowest_supported_far(impostors: int, confidence: float = CONFIDENCE) -> float:
    """The smallest FAR these many impostor comparisons can back: the upper bound when not
    one false match was seen. A target below it is reported as not supported."""
    return far_upper_bound(0, impostors, confidence)


def supports(target_far: float, impostors: int, confidence: float = CONFIDENCE) -> bool:
    return lowest_supported_far(impostors, confidence) <= target_far


def _poisson_at_most(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean), summed in log space (exp(-mean) alone underflows
    past a mean of about 745)."""
    logs = [i * math.log(mean) - mean - math.lgamma(i + 1) for i in range(k + 1)]
    top = max(logs)
    return min(math.exp(top) * math.fsum(math.exp(v - top) for v in logs), 1.0)


def rate_upper_bound(events: int, exposure: float, confidence: float = CONFIDENCE) -> float:
    """The upper end of the two-sided exact (Garwood) interval for a Poisson rate: ``events``
    seen in ``exposure`` (hours of video, say). With none seen in 0.1 h the data cannot rule
    out 37 an hour."""
    if exposure <= 0:
        return math.inf
    alpha = (1.0 - confidence) / 2
    low, high = float(events), float(events) + 50.0 + 10.0 * math.sqrt(events + 1)
    for _ in range(100):  # bisection: P(X <= k) falls as the mean grows
        mid = (low + high) / 2
        if _poisson_at_most(events, mid) > alpha:
            low = mid
        else:
            high = mid
    return high / exposure
