"""Pure rules of plan supervision: update timeliness, coverage shares and the yearly assessment's
scores.
"""
