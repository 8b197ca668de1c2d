"""The star score: the one place it is computed (DESIGN step 5, seed 004).

score = 80 % reviews + 20 % responsiveness, 0-100.
- reviews: the mean of (stars - 1) / 4, each review weighted by its recency (a review loses
  half its weight every 180 days), blended with a provisional prior of 85 % worth three
  reviews, so a new pro passes the marketplace threshold and a few reviews move it gently;
- responsiveness: the share of purchased leads with a first contact attempt within an hour
  of purchase, blended the same way with a prior of 100 % worth three leads, so one slow
  first lead does not shut a new pro out.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

REVIEW_SHARE = 0.8
HALF_LIFE_DAYS = 180
PRIOR_SCORE = 0.85
PRIOR_WEIGHT = 3.0
RESPONSE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ScoreParts:
    reviews: float  # 0..1, with the prior
    review_count: int
    responsiveness: float  # 0..1, with the prior
    purchases: int
    answered_in_time: int  # purchases with a first attempt within the hour

    @property
    def score(self) -> int:
        return round(100 * (REVIEW_SHARE * self.reviews + (1 - REVIEW_SHARE) * self.responsiveness))


def compute(
    *, ratings: list[tuple[int, datetime]], first_attempt_delays: list[timedelta | None], now
) -> ScoreParts:
    weighted = PRIOR_SCORE * PRIOR_WEIGHT
    total_weight = PRIOR_WEIGHT
    for stars, at in ratings:
        weight = 0.5 ** (max(0.0, (now - at).total_seconds()) / 86400 / HALF_LIFE_DAYS)
        weighted += weight * (stars - 1) / 4
        total_weight += weight
    quick = sum(1 for d in first_attempt_delays if d is not None and d <= RESPONSE_WINDOW)
    responsiveness = (quick + PRIOR_WEIGHT) / (len(first_attempt_delays) + PRIOR_WEIGHT)
    return ScoreParts(
        reviews=weighted / total_weight,
        review_count=len(ratings),
        responsiveness=responsiveness,
        purchases=len(first_attempt_delays),
        answered_in_time=quick,
    )
