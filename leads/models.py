"""Quote requests, screening, duplicates, offers, routing, outcomes, reviews, star score."""
