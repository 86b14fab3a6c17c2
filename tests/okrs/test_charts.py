from datetime import date

from okrs.charts import TimeChart, sparkline


class TestTimeChart:
    def chart(self):
        return TimeChart(
            starts_on=date(2027, 1, 1),
            ends_on=date(2027, 3, 31),
            low=0,
            high=1,
            width=100,
            height=50,
            padding=(0, 0, 0, 0),
        )

    def test_maps_the_cycle_onto_the_view_box(self):
        chart = self.chart()

        assert chart.x(date(2027, 1, 1)) == 0
        assert chart.x(date(2027, 3, 31)) == 100
        assert chart.y(0) == 50
        assert chart.y(1) == 0
        assert chart.y(0.5) == 25

    def test_paths_go_through_points_in_date_order(self):
        chart = self.chart()

        path = chart.path([(date(2027, 3, 31), 1), (date(2027, 1, 1), 0)])

        assert path == "M0.0,50.0 L100.0,0.0"
        assert chart.path([]) == ""

    def test_an_area_closes_down_to_the_axis(self):
        area = self.chart().area([(date(2027, 1, 1), 0), (date(2027, 3, 31), 1)])

        assert area == "M0.0,50.0 L100.0,0.0 L100.0,50 L0.0,50 Z"

    def test_month_ticks_start_each_month(self):
        labels = [tick.label for tick in self.chart().month_ticks()]

        assert labels == ["1 Jan", "1 Feb", "1 Mar"]

    def test_value_ticks_can_read_as_percentages(self):
        labels = [tick.label for tick in self.chart().value_ticks(2, percent=True)]

        assert labels == ["0%", "50%", "100%"]

    def test_a_degenerate_range_still_draws(self):
        chart = TimeChart(starts_on=date(2027, 1, 1), ends_on=date(2027, 1, 1), low=5, high=5)

        assert chart.x(date(2027, 1, 1)) == chart.left
        assert chart.y(5) == chart.bottom


def test_sparkline_needs_two_values_and_spans_the_width():
    assert sparkline([1]) == ""

    assert sparkline([0, 10], width=10, height=10) == "M0.0,8.0 L10.0,2.0"


def test_metric_values_read_as_people_write_them():
    from decimal import Decimal

    from okrs.numbers import metric

    assert metric(Decimal("1059350.0000")) == "1,059,350"
    assert metric(Decimal("99.9000")) == "99.9"
    assert metric(Decimal("1.2E+6")) == "1,200,000"
    assert metric(Decimal("-0.5")) == "-0.5"
    assert metric(None) == "—"
