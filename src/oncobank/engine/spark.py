"""The one local SparkSession of this process, started on first use, and a fresh SQL scope on it per reader."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

import pyarrow as pa

from oncobank.engine.types import TIMESTAMP, normalize

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_lock = threading.Lock()
_root: SparkSession | None = None

# Loopback only, no web UI, few shuffle partitions (the tables of one registry are small for Spark), UTC.
SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
}


def root_session() -> SparkSession:
    """The process's SparkSession in local mode (the JVM starts once, ~10 s; later calls return it)."""
    global _root
    with _lock:
        if _root is None:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            from pyspark.sql import SparkSession

            builder = SparkSession.builder.master(os.environ.get("ONCOBANK_SPARK_MASTER", "local[2]"))
            builder = builder.appName("oncobank")
            for key, value in SETTINGS.items():
                builder = builder.config(key, value)
            _root = builder.getOrCreate()
            _root.sparkContext.setLogLevel("ERROR")
        return _root


_SPARK_TYPES = {pa.string(): "STRING", pa.int64(): "BIGINT", pa.float64(): "DOUBLE", pa.bool_(): "BOOLEAN",
                pa.date32(): "DATE", TIMESTAMP: "TIMESTAMP"}


def ddl(schema: pa.Schema) -> str:
    """A Parquet file's schema as Spark DDL, so Spark need not run a job to infer it."""
    columns = []
    for field in normalize(schema.empty_table()).schema:
        t = field.type
        spark_type = f"ARRAY<{_SPARK_TYPES[t.value_type]}>" if pa.types.is_list(t) else _SPARK_TYPES[t]
        columns.append(f"`{field.name}` {spark_type}")
    return ", ".join(columns)


def reader_session() -> SparkSession:
    """A new session sharing the process's Spark context: its temporary views are its own, so two stores (or two
    snapshots of one) can be open at once under the same table names."""
    return root_session().newSession()


def stop() -> None:
    """Stop the process's Spark session (the next use starts a new one); for tests and long-lived tools."""
    global _root
    with _lock:
        if _root is not None:
            _root.stop()
            _root = None
