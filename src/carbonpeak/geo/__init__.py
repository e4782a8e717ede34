"""Street boundaries (街道边界) as GeoJSON: validation, import, and approximate demo polygons."""
