"""Energy programmes: rooftop PV (``energy.pv``) and the virtual power plant (``energy.vpp``).

The plan's indicators read them; they read the buildings and the account.
"""
