"""The map's fixed colour scale: class breaks from the whole district that disclose no single
entity's figure (docs/security.md, "The map's colour scale")."""

from __future__ import annotations

from carbonpeak.publish.dashboard import class_breaks


def test_breaks_are_rounded_quantiles_with_three_or_more_per_class() -> None:
    values = [12.3, 18.7, 21.4, 24.9, 27.2, 29.9, 33.3, 41.6, 44.4, 52.1, 75.5, 626.4,
              19.1, 26.6, 38.8]
    breaks = class_breaks(values)
    assert len(breaks) == 4  # 15 values: 5 classes of 3
    assert breaks == sorted(set(breaks))
    for b in breaks:  # two significant figures, never an entity's own value
        assert float(f"{b:.2g}") == b
        assert b not in values
    assert min(values) < breaks[0]
    assert breaks[-1] < max(values)  # the outlier is in the top class, its value not sent
    counts = [sum(1 for v in values if lo <= v < hi)
              for lo, hi in zip([float("-inf"), *breaks], [*breaks, float("inf")], strict=True)]
    assert min(counts) >= 2  # rounding may move one value next door, never empty a class
    assert sum(counts) == len(values)


def test_equal_breaks_merge_and_small_districts_get_one_class() -> None:
    assert class_breaks([6166.0] * 12) == []  # never "6,166 6,166 6,166"
    assert class_breaks([1.0, 2.0, 3.0, 4.0, 5.0]) == []  # fewer than 6: no breaks
    assert class_breaks([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]) == [3.5]
    assert class_breaks([5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0, 9.0, 9.0, 9.0]) == [9.0]
