"""The energy programmes' routes: rooftop PV and the virtual power plant.
"""
