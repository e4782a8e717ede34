"""Public buildings: benchmarking, quotas, audits, retrofits and M&V, weather,
commissioning. 中文：公共建筑。"""
