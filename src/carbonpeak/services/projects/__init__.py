"""The project gate: new-project energy review (节能审查) against the plan's remaining budget,
and the 两高 list."""
