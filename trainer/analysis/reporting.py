"""Progress callbacks of slow analysis functions: `report(fraction)`, which may raise to cancel.

The GUI's background jobs (explorer.jobs) pass one that raises their `Cancelled` after
Cancel; None means nobody is listening.
"""

from __future__ import annotations

from collections.abc import Callable

Report = Callable[[float], None] | None


def part(report: Report, start: float, end: float) -> Report:
    """A callback for one stage of a job: its fractions 0..1 become start..end of `report`."""
    if report is None:
        return None
    return lambda fraction: report(start + (end - start) * fraction)


def tell(report: Report, fraction: float) -> None:
    """Call `report(fraction)` when there is one."""
    if report is not None:
        report(fraction)
