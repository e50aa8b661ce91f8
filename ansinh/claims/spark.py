"""A local Spark session for the review's Ibis expressions (``ibis.pyspark``), as at national scale.

Needs ``pyspark`` (dev extra) and a Java runtime (17). Local mode, two cores, UTC session time zone so
that timestamps mean the same as in DuckDB.
"""

from __future__ import annotations

from typing import Any


def spark_connection() -> Any:
    import ibis
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("ansinh-claims")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.ansi.enabled", "false")
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)
