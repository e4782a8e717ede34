"""The energy programmes' commands: ``carbonpeak pv …`` (rooftop PV) and ``carbonpeak dr …`` (the
virtual power plant).
"""
