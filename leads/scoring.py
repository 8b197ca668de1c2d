"""The star score: the one place it is computed (DESIGN step 5, seed 004).

score = 80 % reviews + 20 % responsiveness, 0-100.
- reviews: the mean of (stars - 1) / 4, each review weighted by its recency (a review loses
  half its weight every 180 days), blended with a provisional prior of 85 % worth three
  reviews, so a few reviews move it gently;
- responsiveness: the share of purchased leads with a first contact attempt within an hour
  of purchase, blended the same way with a prior of 100 % worth three leads, so one slow
  first lead does not shut a pro out.

What is decided once, here and nowhere else:
- A pro has a star score from their first visible review on (seed 004: the marketplace
  minimum is a review score). Before it, no score is stored and the marketplace does not
  hold them back, however their first calls went; the dashboard shows what will count.
- The marketplace gate (STAR_SCORE_THRESHOLD) compares the unrounded score: 79.89 is below
  80. Pages show the score rounded down, so a pro shown "80%" always passes an 80 gate.
- Reviews fade with time, so the stored score is recomputed on every event that moves it
  (a review, a hidden review, a logged attempt) and every night by beat.
- The inputs are kept as running totals (leads.models.ScoreTotals), so an event or a page
  costs the same for a pro with ten thousand leads as for one with ten. A review's weight
  is stored as at EPOCH; at any moment it is that times decay(now), the same number
  compute() gives. The nightly recompute rebuilds the totals from the history.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

REVIEW_SHARE = 0.8
HALF_LIFE_DAYS = 180
PRIOR_SCORE = 0.85
PRIOR_WEIGHT = 3.0
RESPONSE_WINDOW = timedelta(hours=1)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # where stored review weights are taken


@dataclass(frozen=True)
class ScoreParts:
    reviews: float  # 0..1, with the prior
    review_count: int
    responsiveness: float  # 0..1, with the prior
    purchases: int
    answered_in_time: int  # purchases with a first attempt within the hour

    @property
    def reviews_percent(self) -> int:
        return shown(100 * self.reviews)

    @property
    def exact(self) -> float:
        """The unrounded score, 0-100: what the marketplace gate compares."""
        return 100 * (REVIEW_SHARE * self.reviews + (1 - REVIEW_SHARE) * self.responsiveness)

    @property
    def score(self) -> int:
        """The score as shown: rounded down."""
        return shown(self.exact)


def shown(exact: float) -> int:
    """A score as pages show it: rounded down (after dropping float noise, so 93.9999999
    reads 94), never above the unrounded value the gate compares."""
    return math.floor(round(exact, 6))


def passes(exact: float | None, threshold: float) -> bool:
    """May a pro with this stored score get marketplace leads? No score yet: yes."""
    return exact is None or exact >= threshold


def compute(
    *, ratings: list[tuple[int, datetime]], first_attempt_delays: list[timedelta | None], now
) -> ScoreParts:
    weighted = PRIOR_SCORE * PRIOR_WEIGHT
    total_weight = PRIOR_WEIGHT
    for stars, at in ratings:
        weight = 0.5 ** (max(0.0, (now - at).total_seconds()) / 86400 / HALF_LIFE_DAYS)
        weighted += weight * (stars - 1) / 4
        total_weight += weight
    quick = sum(1 for d in first_attempt_delays if in_time(d))
    responsiveness = (quick + PRIOR_WEIGHT) / (len(first_attempt_delays) + PRIOR_WEIGHT)
    return ScoreParts(
        reviews=weighted / total_weight,
        review_count=len(ratings),
        responsiveness=responsiveness,
        purchases=len(first_attempt_delays),
        answered_in_time=quick,
    )


def epoch_weight(at: datetime) -> float:
    """A review's weight as at EPOCH: its weight at `now` is this times decay(now)."""
    return 0.5 ** ((EPOCH - at).total_seconds() / 86400 / HALF_LIFE_DAYS)


def decay(now: datetime) -> float:
    return 0.5 ** ((now - EPOCH).total_seconds() / 86400 / HALF_LIFE_DAYS)


def in_time(delay: timedelta | None) -> bool:
    return delay is not None and delay <= RESPONSE_WINDOW


def from_totals(
    *,
    purchases: int,
    answered_in_time: int,
    reviews: int,
    review_weight: float,
    review_points: float,
    now: datetime,
) -> ScoreParts:
    """compute() from running totals (review weights as at EPOCH): no history read."""
    factor = decay(now)
    weighted = PRIOR_SCORE * PRIOR_WEIGHT + factor * review_points
    total_weight = PRIOR_WEIGHT + factor * review_weight
    return ScoreParts(
        reviews=weighted / total_weight,
        review_count=reviews,
        responsiveness=(answered_in_time + PRIOR_WEIGHT) / (purchases + PRIOR_WEIGHT),
        purchases=purchases,
        answered_in_time=answered_in_time,
    )
