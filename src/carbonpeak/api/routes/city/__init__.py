"""The city routes: a city analyst's roll-ups of its districts."""
