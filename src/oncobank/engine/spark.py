"""The one local SparkSession of this process, started on first use, and a fresh SQL scope on it per reader."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

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


def reader_session() -> SparkSession:
    """A new session sharing the process's Spark context: its temporary views are its own, so two stores (or two
    snapshots of one) can be open at once under the same table names."""
    return root_session().newSession()
