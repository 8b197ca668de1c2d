"""Server-side SVG charts: geometry computed here, drawn by templates/analytics/partials/
_month_chart.html. No JavaScript, no CDN; integer arithmetic from integer cents."""

from dataclasses import dataclass, field

from marketplace.money import format_cents as show

# Small units so that text stays readable when a phone scales the chart down to ~360 px.
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 8, 12, 40
MIN_BAR = 3  # a small amount stays visible next to a big one
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TICKS = 4


@dataclass(frozen=True)
class Series:
    attr: str  # a Metrics property in cents
    label: str
    css: str


@dataclass
class Chart:
    title: str
    description: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = TOP + PLOT_H
    ticks: list = field(default_factory=list)
    x_labels: list = field(default_factory=list)
    bars: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    points: list = field(default_factory=list)
    legend: list = field(default_factory=list)


def money_label(cents: int) -> str:
    """Axis labels: $0, $250, $1.5k, $12k, $1.2M (whole dollars, never a float)."""
    dollars = cents // 100
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if dollars >= size:
            whole, tenths = dollars // size, dollars % size * 10 // size
            return f"${whole}.{tenths}{suffix}" if tenths and whole < 10 else f"${whole}{suffix}"
    return f"${dollars:,}"


def money_text(cents: int) -> str:

    return show(cents)


def nice_top(largest_cents: int) -> int:
    """The axis top: TICKS steps of 1, 2 or 5 × 10^k whole dollars, at least $1 a step."""
    raw = max(100, -(-largest_cents // TICKS))
    magnitude = 10 ** (len(str(raw)) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return step * TICKS


def month_chart(rows, *, bars: list[Series], lines: list[Series], title: str) -> Chart:
    """Grouped bars and lines with points over months, on one money axis from zero."""
    values = [
        getattr(row.metrics, s.attr) or 0 for row in rows for s in [*bars, *lines]
    ]  # None (no appointment yet) draws nothing
    top = nice_top(max([0, *values]))
    chart = Chart(
        title=title,
        description=(
            f"{', '.join(s.label for s in [*bars, *lines])} by month, "
            f"{rows[0].label} to {rows[-1].label}. The table beside it has the numbers."
            if rows
            else "No months."
        ),
    )

    def y(cents: int) -> int:
        return TOP + PLOT_H - max(0, cents) * PLOT_H // top

    for i in range(TICKS + 1):
        value = top * i // TICKS
        chart.ticks.append({"y": y(value), "label": money_label(value)})
    count = max(1, len(rows))
    slot = PLOT_W // count
    bar_w = max(3, min(36, slot * 6 // (10 * max(1, len(bars)))))
    label_every = -(-count // 12)
    for index, row in enumerate(rows):
        x0 = LEFT + index * slot
        center = x0 + slot // 2
        if index % label_every == 0:
            month, _, year = row.label.partition(" ")
            # The year goes under each January, and under the first month unless the very
            # next month is a January (the two years would print on top of each other).
            next_label = rows[1].label if label_every == 1 and count > 1 else ""
            first = month == "Jan" or (index == 0 and not next_label.startswith("Jan"))
            chart.x_labels.append({"x": center, "month": month, "year": year if first else ""})
        group_left = center - bar_w * len(bars) // 2
        for b, series in enumerate(bars):
            value = getattr(row.metrics, series.attr) or 0
            height = TOP + PLOT_H - y(value)
            if value > 0:
                height = max(MIN_BAR, height)
            chart.bars.append(
                {
                    "x": group_left + b * bar_w,
                    "y": TOP + PLOT_H - height,
                    "width": bar_w - 1,
                    "height": height,
                    "css": series.css,
                    "title": f"{row.label}: {series.label} {money_text(value)}",
                }
            )
    for series in lines:
        segment: list[str] = []
        segments = []
        for index, row in enumerate(rows):
            value = getattr(row.metrics, series.attr)
            if value is None:  # no appointment that month: a gap, not a zero
                if segment:
                    segments.append(segment)
                segment = []
                continue
            cx, cy = LEFT + index * slot + slot // 2, y(value)
            segment.append(f"{cx},{cy}")
            chart.points.append(
                {
                    "cx": cx,
                    "cy": cy,
                    "css": series.css,
                    "title": f"{row.label}: {series.label} {money_text(value)}",
                }
            )
        if segment:
            segments.append(segment)
        chart.lines.extend(
            {"points": " ".join(s), "css": series.css} for s in segments if len(s) > 1
        )
    chart.legend = [{"label": s.label, "css": s.css, "kind": "bar"} for s in bars] + [
        {"label": s.label, "css": s.css, "kind": "line"} for s in lines
    ]
    return chart
