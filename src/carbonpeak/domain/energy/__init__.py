"""Pure rules of the energy programmes: PV yield and performance, demand-response baselines and
settlement.
"""
