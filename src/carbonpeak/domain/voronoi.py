"""Approximate street polygons for a demo: Voronoi cells of street centroids in a box.

Only for a district that has no surveyed boundaries: each street gets the part of the
district's bounding box nearer to its centroid than to any other (half-plane clipping of a
convex polygon, Sutherland-Hodgman). The result is labelled approximate wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["voronoi_cells"]

Point = tuple[float, float]


def _clip(poly: list[Point], a: Point, b: Point) -> list[Point]:
    """The part of convex ``poly`` nearer to ``a`` than to ``b`` (perpendicular bisector)."""
    nx, ny = b[0] - a[0], b[1] - a[1]
    c = (b[0] ** 2 + b[1] ** 2 - a[0] ** 2 - a[1] ** 2) / 2.0

    def inside(p: Point) -> bool:
        return p[0] * nx + p[1] * ny <= c

    def cross(p: Point, q: Point) -> Point:
        dp = p[0] * nx + p[1] * ny - c
        dq = q[0] * nx + q[1] * ny - c
        t = dp / (dp - dq)
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))

    out: list[Point] = []
    for i, cur in enumerate(poly):
        prev = poly[i - 1]
        if inside(cur):
            if not inside(prev):
                out.append(cross(prev, cur))
            out.append(cur)
        elif inside(prev):
            out.append(cross(prev, cur))
    return out


def voronoi_cells(sites: Sequence[Point], box: tuple[float, float, float, float],
                  ) -> list[list[Point]]:
    """The Voronoi cell of each site (x, y) inside ``box`` = (xmin, ymin, xmax, ymax), as a
    closed ring (first point repeated last), counter-clockwise."""
    xmin, ymin, xmax, ymax = box
    cells: list[list[Point]] = []
    for i, a in enumerate(sites):
        poly: list[Point] = [(xmin, ymin), (xmax, ymin), (xmax, ymax), (xmin, ymax)]
        for j, b in enumerate(sites):
            if i != j and b != a:
                poly = _clip(poly, a, b)
                if not poly:
                    break
        ring = [(round(x, 6), round(y, 6)) for x, y in poly]
        cells.append([*ring, ring[0]] if ring else [])
    return cells
