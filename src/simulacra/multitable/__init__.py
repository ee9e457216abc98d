"""Related tables: a database in, a synthetic database out, every key intact.

Reading and writing databases (SQL through SQLAlchemy, folders of CSV/Parquet files), the
relational synthesizer, and subsetting with referential integrity.
"""
