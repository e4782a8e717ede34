"""The energy programmes' input files: roofs, PV sites, hourly weather, demand-response resources,
events and participants.
"""
