"""The engine's pace (nst_engine/pace.py): measured on short runs, then a plan's steps at what
they cost; sides not measured scale with their pixels."""

from __future__ import annotations

import pytest

from nst_engine import Engine, Settings, plans
from nst_engine.pace import Cost, Pace, measure


@pytest.fixture(scope="module")
def pace(engine: Engine) -> Pace:
    return measure(engine, sides=(64,), print_sides=(128,), fast_side=64)


def test_each_kind_of_run_is_measured_at_its_sides(pace: Pace) -> None:
    assert set(pace.scales) == {64} and set(pace.print_scales) == {128}
    assert set(pace.fast_s) == {64} and pace.warm_start  # the test models include the fast ones
    for cost in (*pace.scales.values(), *pace.print_scales.values()):
        assert cost.step_s > 0 and cost.setup_s >= 0
    assert pace.fast_s[64] > 0


def test_a_run_is_expected_to_take_its_plans_steps_at_their_cost(pace: Pace) -> None:
    def plan_s(plan: plans.Plan, costs: dict[int, Cost], times: float = 1.0) -> float:
        return times * sum(
            costs[side].setup_s + steps * costs[side].step_s for side, steps in plan.scales
        )

    settings = Settings(max_side=64)
    assert pace.expected_s(settings) == pytest.approx(
        plan_s(plans.default_plan(settings, warm=True), dict(pace.scales))
    )
    # 128 px was not measured: 64 px's costs, four times the pixels.
    larger = Settings(max_side=128)
    plan = plans.default_plan(larger, warm=True)
    expected = plan_s(plan, {128: pace.scales[64]}, times=4)
    assert pace.expected_s(larger) == pytest.approx(expected)
    # A print from 64 px to 256 px: its 128 px scale as measured, its 256 px one four times that.
    print_plan = plans.print_plan(64, 256)
    measured = pace.print_scales[128]
    four_times = Cost(4 * measured.setup_s, 4 * measured.step_s)
    assert pace.expected_s(Settings(max_side=256), painted_side=64) == pytest.approx(
        plan_s(print_plan, {128: measured, 256: four_times})
    )
    # Above plans.PAINTED_SIDE a run is that painting continued as a print (Engine.run).
    above = Settings(max_side=2 * plans.PAINTED_SIDE)
    assert pace.expected_s(above) == pytest.approx(
        pace.expected_s(Settings(max_side=plans.PAINTED_SIDE))  # type: ignore[operator]
        + pace.expected_s(above, plans.PAINTED_SIDE)
    )
    assert pace.expected_s(Settings(method="fast", max_side=128)) == pytest.approx(
        4 * pace.fast_s[64]
    )


def test_a_pace_travels_as_json_and_says_nothing_of_what_it_did_not_measure(pace: Pace) -> None:
    assert Pace.from_json(pace.to_json()) == pace
    nothing = Pace({}, {}, {}, warm_start=True)
    assert nothing.expected_s(Settings(max_side=512)) is None
    assert nothing.expected_s(Settings(max_side=2048), painted_side=512) is None
    assert nothing.expected_s(Settings(method="fast", max_side=1024)) is None
