"""The benchmarks page's `make plan` section: every stack measured, wall and CPU, and the budget."""

from __future__ import annotations

from bench import report

FIGURES = {
    "budget_seconds": 10.0,
    "stacks": {
        "dev": {
            "text": {"wall": [1.0, 1.2], "cpu": [0.5, 0.5]},
            "json": {"wall": [1.1], "cpu": [0.5]},
        },
        "madrid": {"text": {"wall": [3.0], "cpu": [2.0]}, "json": {"wall": [3.1], "cpu": [2.1]}},
    },
    "diff_madrid": {"wall": [7.0], "cpu": [4.0]},
}


def test_section_has_a_row_per_stack_with_wall_and_cpu() -> None:
    lines = report.plan(FIGURES)
    assert lines[0] == "## Offline plan (`make plan`, `make plan-diff`)"
    rows = [line for line in lines if line.startswith("| `make plan STACK=")]
    assert [row.split("|")[1].strip() for row in rows] == [
        "`make plan STACK=dev`",
        "`make plan STACK=madrid`",
    ]
    assert "CPU 2.00 s" in rows[1] and "3.00 s" in rows[1]
    assert any("7.00 s" in line and "CPU 4.00 s" in line for line in lines)


def test_summary_compares_madrid_with_the_budget() -> None:
    (row,) = [r for r in report.summary({"plan": FIGURES}) if "make plan" in r]
    assert row == "| `make plan STACK=madrid`, wall time | 3.00 s | budget 10.00 s | 3.3x |"
