"""A benchmark's result: a ratio of two measurements taken in the same run, and its target.

Ratios, not absolute figures: both sides run on the same machine in the same minute, so a slower
or busier machine moves them together and the target still means something.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Ratio:
    name: str
    value: float | None  # None: a side could not be measured, which fails the target
    target: float
    must_reach: bool  # True: the ratio must be at least the target; False: at most

    @classmethod
    def at_most(cls, name: str, value: float | None, target: float) -> Ratio:
        return cls(name, value, target, must_reach=False)

    @classmethod
    def at_least(cls, name: str, value: float | None, target: float) -> Ratio:
        return cls(name, value, target, must_reach=True)

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.value >= self.target if self.must_reach else self.value <= self.target

    def line(self) -> str:
        verdict = "ok" if self.passed else "FAIL"
        value = "not measured" if self.value is None else f"{self.value:.3g}"
        bound = "≥" if self.must_reach else "≤"
        return f"{verdict:4}  {self.name}: ratio {value} (target {bound} {self.target})"
