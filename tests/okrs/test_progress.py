import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okrs import progress
from okrs.models import Measure as ModelMeasure
from okrs.progress import (
    Contribution,
    Grade,
    Measure,
    Status,
    expected_progress,
    explain_weighted_mean,
    final_score,
    forecast,
    grade,
    key_result_progress,
    objective_progress,
    rounded,
    status,
    weighted_mean,
)

STARTS_ON = date(2027, 1, 1)
ENDS_ON = date(2027, 3, 31)  # 89 days later


def at(day: date, hour: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


class TestMeasure:
    def test_matches_the_model_choices(self):
        assert {m.value for m in Measure} == set(ModelMeasure.values)


class TestKeyResultProgress:
    def test_increase_is_the_share_of_the_way_to_target(self):
        assert key_result_progress(measure="increase", start=10, target=20, current=14) == (
            pytest.approx(0.4)
        )

    def test_decrease_is_the_share_of_the_way_down(self):
        assert key_result_progress(measure="decrease", start=100, target=50, current=80) == (
            pytest.approx(0.4)
        )

    def test_accepts_decimals(self):
        value = key_result_progress(
            measure="increase", start=Decimal("0.5"), target=Decimal("1.5"), current=Decimal("1.25")
        )
        assert value == pytest.approx(0.75)

    def test_accepts_the_model_choice(self):
        assert key_result_progress(measure=ModelMeasure.INCREASE, start=0, target=4, current=1) == (
            0.25
        )

    @pytest.mark.parametrize(("current", "expected"), [(-5, 0.0), (0, 0.0), (10, 1.0), (25, 1.0)])
    def test_increase_is_clamped(self, current, expected):
        assert key_result_progress(measure="increase", start=0, target=10, current=current) == (
            expected
        )

    @pytest.mark.parametrize(("current", "expected"), [(120, 0.0), (40, 1.0)])
    def test_decrease_is_clamped(self, current, expected):
        assert key_result_progress(measure="decrease", start=100, target=50, current=current) == (
            expected
        )

    @pytest.mark.parametrize("measure", ["increase", "decrease"])
    def test_no_check_in_yet_means_start(self, measure):
        assert key_result_progress(measure=measure, start=7, target=3, current=None) == 0.0

    def test_stay_above_no_check_in_compares_start(self):
        assert key_result_progress(measure="stay_above", start=99, target=95, current=None) == 1.0

    @pytest.mark.parametrize("measure", ["increase", "decrease"])
    def test_target_equal_to_start_is_refused(self, measure):
        with pytest.raises(ValueError, match="target must differ"):
            key_result_progress(measure=measure, start=5, target=5, current=6)

    def test_unknown_measure_is_refused(self):
        with pytest.raises(ValueError, match="Unknown measure"):
            key_result_progress(measure="double", start=0, target=1, current=1)

    @pytest.mark.parametrize(("current", "expected"), [(94.9, 0.0), (95, 1.0), (99, 1.0)])
    def test_stay_above(self, current, expected):
        assert key_result_progress(measure="stay_above", start=0, target=95, current=current) == (
            expected
        )

    @pytest.mark.parametrize(("current", "expected"), [(200, 1.0), (250, 1.0), (250.1, 0.0)])
    def test_stay_below(self, current, expected):
        assert key_result_progress(measure="stay_below", start=0, target=250, current=current) == (
            expected
        )

    @pytest.mark.parametrize(("current", "expected"), [(None, 0.0), (0, 0.0), (1, 1.0)])
    def test_milestone_is_done_or_not(self, current, expected):
        assert key_result_progress(measure="milestone", start=0, target=1, current=current) == (
            expected
        )


class TestWeightedMean:
    def test_weights_the_parts(self):
        assert weighted_mean([(1, 1.0), (3, 0.0)]) == pytest.approx(0.25)

    def test_leaves_out_parts_without_progress(self):
        assert weighted_mean([(1, 0.8), (5, None)]) == pytest.approx(0.8)

    def test_total_weight_zero_is_none(self):
        assert weighted_mean([(0, 0.5), (Decimal(0), 1.0)]) is None

    def test_nothing_to_average_is_none(self):
        assert weighted_mean([]) is None
        assert weighted_mean([(1, None)]) is None

    def test_zero_weight_part_does_not_move_the_mean(self):
        assert weighted_mean([(2, 0.6), (0, 0.0)]) == pytest.approx(0.6)

    def test_negative_weight_is_refused(self):
        with pytest.raises(ValueError, match="negative"):
            weighted_mean([(-1, 0.5)])


class TestObjectiveProgress:
    def test_mixes_key_results_and_children(self):
        value = objective_progress(key_results=[(1, 0.5), (1, 1.0)], children=[(2, 0.25)])
        assert value == pytest.approx((0.5 + 1.0 + 2 * 0.25) / 4)

    def test_children_left_out_without_rollup(self):
        value = objective_progress(
            key_results=[(1, 0.5)], children=[(2, 1.0)], rollup_children=False
        )
        assert value == pytest.approx(0.5)

    def test_child_without_progress_is_left_out(self):
        assert objective_progress(key_results=[(1, 0.4)], children=[(3, None)]) == (
            pytest.approx(0.4)
        )

    def test_no_measures_yet_is_none(self):
        assert objective_progress(key_results=[], children=[(1, None)]) is None


class TestExpectedProgress:
    def test_before_the_cycle(self):
        assert expected_progress(day=date(2026, 12, 1), starts_on=STARTS_ON, ends_on=ENDS_ON) == 0

    def test_first_day(self):
        assert expected_progress(day=STARTS_ON, starts_on=STARTS_ON, ends_on=ENDS_ON) == 0

    def test_middle(self):
        day = STARTS_ON + timedelta(days=30)
        assert expected_progress(day=day, starts_on=STARTS_ON, ends_on=ENDS_ON) == (
            pytest.approx(30 / 89)
        )

    def test_last_day_and_after(self):
        assert expected_progress(day=ENDS_ON, starts_on=STARTS_ON, ends_on=ENDS_ON) == 1
        assert expected_progress(day=date(2027, 6, 1), starts_on=STARTS_ON, ends_on=ENDS_ON) == 1

    def test_cycle_must_end_after_it_starts(self):
        with pytest.raises(ValueError, match="end after"):
            expected_progress(day=STARTS_ON, starts_on=STARTS_ON, ends_on=STARTS_ON)


class TestStatus:
    def test_no_data(self):
        assert status(progress=None, expected=0.5) is Status.NO_DATA

    def test_achieved_even_late_and_unconfident(self):
        assert status(progress=1.0, expected=1.0, confidence=0) is Status.ACHIEVED

    @pytest.mark.parametrize("progress_value", [0.35, 0.5, 0.9])
    def test_on_track_down_to_fifteen_points_behind(self, progress_value):
        assert status(progress=progress_value, expected=0.5) is Status.ON_TRACK

    @pytest.mark.parametrize("progress_value", [0.2, 0.3, 0.349])
    def test_at_risk_between_fifteen_and_thirty_points_behind(self, progress_value):
        assert status(progress=progress_value, expected=0.5) is Status.AT_RISK

    def test_off_track_more_than_thirty_points_behind(self):
        assert status(progress=0.199, expected=0.5) is Status.OFF_TRACK
        assert status(progress=0.0, expected=0.8) is Status.OFF_TRACK

    def test_low_confidence_makes_on_track_at_risk(self):
        assert status(progress=0.6, expected=0.5, confidence=3) is Status.AT_RISK
        assert status(progress=0.6, expected=0.5, confidence=4) is Status.ON_TRACK

    def test_low_confidence_does_not_lift_off_track(self):
        assert status(progress=0.1, expected=0.5, confidence=2) is Status.OFF_TRACK

    def test_thresholds_are_parameters(self):
        assert status(progress=0.4, expected=0.5, at_risk_gap=0.05) is Status.AT_RISK
        assert status(progress=0.4, expected=0.5, off_track_gap=0.05) is Status.OFF_TRACK
        assert status(progress=0.6, expected=0.5, confidence=5, low_confidence=5) is (
            Status.AT_RISK
        )

    def test_labels_and_ranks(self):
        assert [s.label for s in Status] == [
            "No data",
            "Achieved",
            "On track",
            "At risk",
            "Off track",
        ]
        ordered = sorted(Status, key=lambda s: s.rank)
        assert ordered == [
            Status.NO_DATA,
            Status.OFF_TRACK,
            Status.AT_RISK,
            Status.ON_TRACK,
            Status.ACHIEVED,
        ]
        assert Status.AT_RISK == "at_risk"


class TestForecast:
    def forecast(self, check_ins, *, measure="increase", start=0, target=100):
        return forecast(
            measure=measure,
            start=start,
            target=target,
            check_ins=check_ins,
            starts_on=STARTS_ON,
            ends_on=ENDS_ON,
        )

    def test_straight_line_hitting_target_at_end(self):
        # 100 over 89 days: the line through these two points reaches 100 on ENDS_ON.
        check_ins = [
            (at(STARTS_ON + timedelta(days=10)), Decimal(100) * 10 / 89),
            (at(STARTS_ON + timedelta(days=40)), Decimal(100) * 40 / 89),
        ]
        assert self.forecast(check_ins) == 1.0

    def test_half_way_pace(self):
        check_ins = [
            (at(STARTS_ON), 0),
            (at(STARTS_ON + timedelta(days=44)), 25),
            (at(STARTS_ON + timedelta(days=22)), 12.5),
        ]
        assert self.forecast(check_ins) == pytest.approx(0.505682, abs=1e-6)

    def test_reads_the_time_of_day(self):
        check_ins = [(at(STARTS_ON, 0), 0), (at(STARTS_ON, 12), 1)]  # 2 a day
        assert self.forecast(check_ins, target=178) == 1.0
        assert self.forecast(check_ins, target=356) == 0.5

    def test_is_rounded_to_six_places(self):
        check_ins = [(at(STARTS_ON), 0), (at(STARTS_ON + timedelta(days=3)), 1)]
        value = self.forecast(check_ins)
        assert value == round(89 / 3 / 100, 6)

    def test_fewer_than_two_check_ins_is_none(self):
        assert self.forecast([]) is None
        assert self.forecast([(at(STARTS_ON), 50)]) is None

    def test_all_at_the_same_moment_is_none(self):
        assert self.forecast([(at(STARTS_ON), 1), (at(STARTS_ON), 2)]) is None

    def test_decrease(self):
        # From 100 down by 1 a day: 11 at the end, past the target of 20.
        check_ins = [(at(STARTS_ON), 100), (at(STARTS_ON + timedelta(days=10)), 90)]
        assert self.forecast(check_ins, measure="decrease", start=100, target=20) == 1.0
        assert self.forecast(check_ins, measure="decrease", start=100, target=0) == 0.89

    def test_falling_metric_forecasts_zero_for_increase(self):
        check_ins = [(at(STARTS_ON), 10), (at(STARTS_ON + timedelta(days=5)), 5)]
        assert self.forecast(check_ins, start=10) == 0.0

    def test_order_of_check_ins_does_not_matter(self):
        check_ins = [
            (at(STARTS_ON + timedelta(days=d)), v) for d, v in [(3, 4), (1, 3), (9, 20), (5, 7)]
        ]
        assert self.forecast(check_ins) == self.forecast(list(reversed(check_ins)))

    def test_naive_datetimes_are_read_as_utc(self):
        aware = [(at(STARTS_ON), 0), (at(STARTS_ON + timedelta(days=8)), 9)]
        naive = [(moment.replace(tzinfo=None), value) for moment, value in aware]
        assert self.forecast(naive) == self.forecast(aware)

    def test_stay_below(self):
        rising = [(at(STARTS_ON), 100), (at(STARTS_ON + timedelta(days=10)), 110)]
        assert self.forecast(rising, measure="stay_below", target=150) == 0.0
        assert self.forecast(rising, measure="stay_below", target=200) == 1.0

    def test_unknown_measure_is_refused(self):
        with pytest.raises(ValueError, match="Unknown measure"):
            self.forecast([], measure="nope")


class TestFinalScore:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [(0.65, 0.7), (0.649, 0.6), (0.35, 0.4), (0.05, 0.1), (0.04, 0.0), (1.0, 1.0), (0, 0.0)],
    )
    def test_rounds_half_up_to_a_tenth(self, value, expected):
        assert final_score(value) == expected

    def test_none_stays_none(self):
        assert final_score(None) is None


class TestGrade:
    @pytest.mark.parametrize(
        ("score", "expected"),
        [
            (1.0, Grade.HIGH),
            (0.7, Grade.HIGH),
            (0.69, Grade.MEDIUM),
            (0.4, Grade.MEDIUM),
            (0.39, Grade.LOW),
            (0.0, Grade.LOW),
        ],
    )
    def test_bands(self, score, expected):
        assert grade(score) is expected

    def test_of_rounded_scores(self):
        assert grade(final_score(0.65)) is Grade.HIGH
        assert grade(final_score(0.649)) is Grade.MEDIUM

    def test_none(self):
        assert grade(None) is None

    def test_labels(self):
        assert [g.label for g in Grade] == ["High", "Medium", "Low"]


class TestRounded:
    def test_six_places_half_up(self):
        assert rounded(0.1234565) == 0.123457
        assert rounded(1 / 3) == 0.333333
        assert rounded(None) is None


class TestExplainWeightedMean:
    def test_lists_every_input(self):
        explanation = explain_weighted_mean(
            [
                Contribution(label="Activation", weight=3, progress=0.5),
                Contribution(label="Retention", weight=1, progress=1.0),
                Contribution(label="Churn", weight=2, progress=None),
            ]
        )
        assert explanation["progress"] == pytest.approx(0.625)
        assert explanation["total_weight"] == 4
        assert explanation["formula"] == "Σ(weight × progress) / Σ weight"
        activation, retention, churn = explanation["contributions"]
        assert activation == {
            "label": "Activation",
            "weight": 3.0,
            "progress": 0.5,
            "share": 0.75,
            "points": 0.375,
            "excluded": False,
        }
        assert retention["share"] == 0.25
        assert retention["points"] == 0.25
        assert churn["excluded"] is True
        assert churn["share"] is None
        assert churn["points"] is None
        assert activation["points"] + retention["points"] == explanation["progress"]

    def test_zero_total_weight(self):
        explanation = explain_weighted_mean([Contribution(label="Idle", weight=0, progress=0.9)])
        assert explanation["progress"] is None
        assert explanation["total_weight"] == 0
        assert explanation["contributions"][0]["share"] is None
        assert explanation["contributions"][0]["excluded"] is False

    def test_nothing(self):
        assert explain_weighted_mean([])["progress"] is None


# Property-based: the invariants that every input must respect.

values = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
weights = st.decimals(min_value=0, max_value=9999, places=2)
progress_values = st.floats(min_value=0, max_value=1)
maybe_progress = st.none() | progress_values
confidences = st.none() | st.integers(min_value=0, max_value=10)


@st.composite
def key_results(draw):
    measure = draw(st.sampled_from(list(Measure)))
    if measure == Measure.MILESTONE:
        return measure, 0, 1, draw(st.sampled_from([None, 0, 1]))
    start = draw(values)
    target = draw(values.filter(lambda t: t != start))
    if measure in (Measure.INCREASE, Measure.DECREASE):
        start, target = sorted((start, target), reverse=measure == Measure.DECREASE)
    return measure, start, target, draw(st.none() | values)


@st.composite
def check_in_series(draw):
    offsets = draw(st.lists(st.integers(min_value=0, max_value=89 * 86400), max_size=8))
    return [(at(STARTS_ON) + timedelta(seconds=s), draw(values)) for s in offsets]


class TestProperties:
    @settings(deadline=None)
    @given(key_results())
    def test_key_result_progress_is_in_range(self, key_result):
        measure, start, target, current = key_result
        value = key_result_progress(measure=measure, start=start, target=target, current=current)
        assert 0.0 <= value <= 1.0

    @settings(deadline=None)
    @given(st.lists(st.tuples(weights, maybe_progress)))
    def test_weighted_mean_is_in_range_or_none(self, parts):
        value = weighted_mean(parts)
        total = sum(w for w, p in parts if p is not None)
        if total == 0:
            assert value is None
        else:
            assert 0.0 <= value <= 1.0
            present = [p for _, p in parts if p is not None]
            assert min(present) - 1e-12 <= value <= max(present) + 1e-12

    @settings(deadline=None)
    @given(
        st.lists(st.tuples(weights, maybe_progress), min_size=1),
        st.floats(min_value=1e-3, max_value=1e3),
    )
    def test_weighted_mean_ignores_the_scale_of_weights(self, parts, factor):
        scaled = [(float(w) * factor, p) for w, p in parts]
        value, scaled_value = weighted_mean(parts), weighted_mean(scaled)
        if value is None:
            assert scaled_value is None
        else:
            assert scaled_value == pytest.approx(value, abs=1e-9)

    @settings(deadline=None)
    @given(
        st.lists(weights.filter(lambda w: w > 0), min_size=1),
        st.floats(min_value=0, max_value=2),
        confidences,
    )
    def test_all_key_results_achieved_means_objective_achieved(self, kr_weights, e, confidence):
        value = objective_progress(key_results=[(w, 1.0) for w in kr_weights], children=[])
        assert value == 1.0
        assert status(progress=value, expected=e, confidence=confidence) is Status.ACHIEVED

    @settings(deadline=None)
    @given(progress_values, progress_values, progress_values, confidences)
    def test_status_is_monotone_in_progress(self, low, high, e, confidence):
        low, high = sorted((low, high))
        worse = status(progress=low, expected=e, confidence=confidence)
        better = status(progress=high, expected=e, confidence=confidence)
        assert worse.rank <= better.rank
        assert Status.NO_DATA not in (worse, better)

    @settings(deadline=None)
    @given(key_results(), check_in_series())
    def test_forecast_is_in_range_or_none(self, key_result, check_ins):
        measure, start, target, _ = key_result
        value = forecast(
            measure=measure,
            start=start,
            target=target,
            check_ins=check_ins,
            starts_on=STARTS_ON,
            ends_on=ENDS_ON,
        )
        if len({moment for moment, _ in check_ins}) < 2:
            assert value is None
        else:
            assert value is not None
            assert 0.0 <= value <= 1.0
            assert value == rounded(value)

    @settings(deadline=None)
    @given(progress_values)
    def test_final_score_is_a_tenth_close_to_progress(self, value):
        score = final_score(value)
        assert abs(score - value) <= 0.05 + 1e-9
        assert score * 10 == pytest.approx(round(score * 10))
        assert grade(score) in set(Grade)

    @settings(deadline=None)
    @given(st.integers(min_value=-400, max_value=400))
    def test_expected_progress_is_in_range(self, offset):
        day = STARTS_ON + timedelta(days=offset)
        assert 0.0 <= expected_progress(day=day, starts_on=STARTS_ON, ends_on=ENDS_ON) <= 1.0


def test_module_imports_without_django():
    code = "import sys, okrs.progress; print(any(m.startswith('django') for m in sys.modules))"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(progress.__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "False"
