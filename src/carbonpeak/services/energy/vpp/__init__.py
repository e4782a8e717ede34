"""The virtual power plant: flexible resources, aggregators, demand-response events, baselines
from metered load, verified response and settlement, capability against the plan's targets,
and an OpenADR 2.0b VTN. 中文：虚拟电厂。"""
