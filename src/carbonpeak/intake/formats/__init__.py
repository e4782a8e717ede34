"""Outside formats to canonical frames: CSV, Excel, templates, column vocabularies, feed rows."""
