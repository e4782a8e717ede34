"""The plan: targets, dual control, budgets, warnings, trajectory, notifications.
中文：规划目标与预警。"""
