"""Storage: the registry (SQLAlchemy, Alembic) and the readings lake (Parquet). 中文：存储层。"""
