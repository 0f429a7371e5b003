"""The usage page's charts, laid out here and drawn as SVG by the template (no script, no library)."""

from dataclasses import dataclass
from datetime import date, timedelta

CHART_WIDTH, CHART_HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 28  # margins around the plot: room for the axis labels
GAUGE_WIDTH = 320
WARNING_FRACTION = 0.8  # a gauge turns amber past this share of the quota
MIN_VISIBLE_FILL = 2  # a gauge with any use shows at least this sliver, even against a huge quota


@dataclass(frozen=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float
    label: str  # the day of the month under the bar, or "" to keep the axis readable

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 2)


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    baseline: float
    plot_left: int
    plot_right: int
    label_y: float


@dataclass(frozen=True)
class Gauge:
    endpoint: str
    used: int
    quota: int
    remaining: int
    width: int
    filled: float
    level: str  # "ok" | "warning" | "full": the colour class


def daily_bar_chart(daily_activity: list[dict], month_start: date, month_end: date) -> BarChart:
    """One bar per day of the month [month_start, month_end), days without calls at zero."""
    counts = {date.fromisoformat(entry["day"]): entry["count"] for entry in daily_activity}
    days = [month_start + timedelta(days=offset) for offset in range((month_end - month_start).days)]
    plot_width, plot_height = CHART_WIDTH - LEFT - RIGHT, CHART_HEIGHT - TOP - BOTTOM
    top_value = _round_up(max(counts.values(), default=0))
    slot = plot_width / len(days)
    baseline = TOP + plot_height
    bars = []
    for index, day in enumerate(days):
        count = counts.get(day, 0)
        height = plot_height * count / top_value
        bars.append(
            Bar(
                day=day,
                count=count,
                x=round(LEFT + index * slot + slot * 0.15, 2),
                y=round(baseline - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                label=str(day.day) if day.day == 1 or day.day % 5 == 0 else "",
            )
        )
    ticks = [Tick(value=value, y=round(baseline - plot_height * value / top_value, 2)) for value in (0, top_value // 2, top_value)]
    return BarChart(CHART_WIDTH, CHART_HEIGHT, bars, ticks, baseline, LEFT, CHART_WIDTH - RIGHT, CHART_HEIGHT - 8)


def gauges(by_endpoint: dict[str, dict]) -> list[Gauge]:
    """A used-against-quota gauge per metered endpoint, from the activity summary's numbers."""
    shown = []
    for endpoint, numbers in by_endpoint.items():
        used, quota = numbers["count"], numbers["quota"]
        fraction = min(1.0, used / quota) if quota else 1.0
        filled = max(GAUGE_WIDTH * fraction, MIN_VISIBLE_FILL if used else 0)
        level = "full" if numbers["remaining"] == 0 else "warning" if fraction >= WARNING_FRACTION else "ok"
        shown.append(Gauge(endpoint, used, quota, numbers["remaining"], GAUGE_WIDTH, round(filled, 2), level))
    return shown


def _round_up(value: int) -> int:
    """The axis top: the smallest of 2, 4, 10, 20, 40, 100, ... at least `value`, so the middle
    tick is a whole number."""
    top = 2
    while top < value:
        top = top * 5 // 2 if str(top).startswith("4") else top * 2
    return top
