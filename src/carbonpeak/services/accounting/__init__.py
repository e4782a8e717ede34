"""The account: runs, engines (DuckDB, Spark), data quality. 中文：能耗与碳排放核算。"""
