from datetime import date

from portal.charts import CHART_HEIGHT, GAUGE_WIDTH, MIN_VISIBLE_FILL, daily_bar_chart, gauges


def test_one_bar_a_day_of_the_month_heights_proportional_to_the_calls():
    chart = daily_bar_chart(
        [{"day": "2027-02-03", "count": 3}, {"day": "2027-02-28", "count": 6}], date(2027, 2, 1), date(2027, 3, 1)
    )
    assert [bar.day.day for bar in chart.bars] == list(range(1, 29))
    counts = {bar.day.day: bar.count for bar in chart.bars}
    assert counts[3] == 3 and counts[28] == 6 and sum(counts.values()) == 9
    heights = {bar.day.day: bar.height for bar in chart.bars}
    assert heights[28] == 2 * heights[3] > 0 and heights[1] == 0
    assert [tick.value for tick in chart.ticks] == [0, 5, 10]  # the axis tops at 10 for 6 calls
    assert all(0 <= bar.y and bar.y + bar.height <= chart.baseline < CHART_HEIGHT for bar in chart.bars)
    assert [bar.label for bar in chart.bars if bar.label] == ["1", "5", "10", "15", "20", "25"]


def test_an_empty_month_draws_flat_bars():
    chart = daily_bar_chart([], date(2027, 1, 1), date(2027, 2, 1))
    assert len(chart.bars) == 31 and all(bar.height == 0 for bar in chart.bars)


def test_gauges_fill_by_use_and_colour_by_what_is_left():
    shown = gauges(
        {
            "/a/": {"count": 5, "quota": 10, "remaining": 5},
            "/b/": {"count": 9, "quota": 10, "remaining": 1},
            "/c/": {"count": 10, "quota": 10, "remaining": 0},
            "/d/": {"count": 1, "quota": 1_000_000, "remaining": 999_999},
            "/e/": {"count": 0, "quota": 0, "remaining": 0},
        }
    )
    assert [(gauge.filled, gauge.level) for gauge in shown] == [
        (GAUGE_WIDTH / 2, "ok"),
        (GAUGE_WIDTH * 0.9, "warning"),
        (GAUGE_WIDTH, "full"),
        (MIN_VISIBLE_FILL, "ok"),
        (GAUGE_WIDTH, "full"),
    ]
