"""Use cases by capability: load, call the domain, persist. 中文：业务服务。"""
