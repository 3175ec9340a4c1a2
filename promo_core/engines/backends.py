"""Connections to the engines behind the relational layer.

* ``duckdb`` (default): embedded, nothing to start. Its ``memory_limit`` is a share of this machine's
  RAM (:data:`DUCKDB_MEMORY_SHARE`, settable) and it spills to a temporary directory beyond it, so a
  file larger than memory is still aggregated.
* ``spark``: PySpark, ``local[*]`` by default or any master URL (``spark://host:7077``, ``yarn``,
  ``k8s://…``): the same expressions run on a cluster by changing one option. The session time zone is
  UTC (Spark 4 otherwise reads naive Parquet times as local ``timestamp_ntz``), the UI is off, and the
  warehouse directory is a fresh temporary folder (a leftover ``spark-warehouse/`` breaks
  ``create_table(overwrite=True)``).
* ``pandas``: today's in-memory core (:mod:`promo_core.quality`, :mod:`promo_core.features`, …), for
  small inputs and as the reference the other engines are tested against. It has no connection.

Ibis has no pandas backend since 10.0; the pandas engine therefore is the existing core, not Ibis.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import _
from ..schema import DataError

ENGINES = ("duckdb", "spark", "pandas")
#: share of physical RAM DuckDB may use before it spills to disk
DUCKDB_MEMORY_SHARE = 0.5
SPARK_SHUFFLE_PARTITIONS = 8


@dataclass
class Engine:
    """One engine: its name, the Ibis connection (None for pandas) and the settings in force."""

    name: str
    con: object = None
    settings: dict = field(default_factory=dict)

    @property
    def is_pandas(self) -> bool:
        return self.name == "pandas"

    def describe(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return f"{self.name} ({extra})" if extra else self.name


def machine_memory_bytes() -> int:
    import psutil
    return int(psutil.virtual_memory().total)


def duckdb_settings(memory_limit: str | None = None, temp_directory: str | None = None,
                    threads: int | None = None) -> dict:
    """DuckDB configuration: memory_limit (default: :data:`DUCKDB_MEMORY_SHARE` of RAM), a spill
    directory (default: a folder in the system's temporary directory) and the thread count."""
    if memory_limit is None:
        memory_limit = f"{max(256, int(machine_memory_bytes() * DUCKDB_MEMORY_SHARE / 2**20))}MB"
    if temp_directory is None:
        temp_directory = str(Path(tempfile.gettempdir()) / f"promoscope-duckdb-{os.getpid()}")
    out = {"memory_limit": str(memory_limit), "temp_directory": str(temp_directory),
           "preserve_insertion_order": False}
    if threads:
        out["threads"] = int(threads)
    return out


_SPARK = None


def spark_driver_memory() -> str:
    """The Spark driver's heap: ``PROMOSCOPE_SPARK_DRIVER_MEMORY`` (e.g. ``8g``), else a quarter of this machine's
    RAM (at least 1g). The per-user tables come back through the driver, and in local mode the driver is also the
    executor: Spark's own default (1g) ran out of heap on 50M events here."""
    value = os.environ.get("PROMOSCOPE_SPARK_DRIVER_MEMORY")
    if value:
        return value
    return f"{max(1024, machine_memory_bytes() // 4 // 2**20)}m"


def engine_error(exc: BaseException) -> DataError | None:
    """An engine's failure (Spark's Java exceptions arrive as Py4J errors with the whole Java stack in their text)
    as one readable DataError, or None when ``exc`` is not an engine's."""
    module = type(exc).__module__ or ""
    if not module.startswith(("py4j", "pyspark")):
        return None
    try:
        text = str(exc)   # a Py4J error asks the JVM for its text, and the JVM may be gone
    except Exception:  # noqa: BLE001
        text = type(exc).__name__
    if "OutOfMemoryError" in text:
        return DataError(_("Spark ran out of memory (Java heap space)"),
                         hint=_("Give the driver more memory (PROMOSCOPE_SPARK_DRIVER_MEMORY=8g, now {memory}), run on "
                                "a cluster with more executors, or use --engine duckdb, which spills to disk").format(
                             memory=spark_driver_memory()))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("at ")]
    cause = next((ln for ln in reversed(lines) if ln.startswith("Caused by:")), lines[0] if lines else type(exc).__name__)
    return DataError(_("Spark could not complete the job ({error})").format(error=cause[:300]),
                     hint=_("Check the Spark master and the workers' logs, or use --engine duckdb"))


def spark_session(master: str | None = None, shuffle_partitions: int = SPARK_SHUFFLE_PARTITIONS):
    """One SparkSession per process (Spark allows one active session; tests share it)."""
    global _SPARK
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - pyspark is a dependency
        raise DataError(_("The Spark engine needs PySpark, which is not installed"),
                        hint=_("Install the project's dependencies, or use --engine duckdb")) from None
    master = master or "local[*]"
    if _SPARK is not None:
        current = _SPARK.sparkContext.master
        if current == master:
            return _SPARK
        _SPARK.stop()
        _SPARK = None
    warehouse = tempfile.mkdtemp(prefix="promoscope-spark-warehouse-")
    builder = (SparkSession.builder.master(master).appName("PromoScope")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
               .config("spark.sql.warehouse.dir", warehouse)
               .config("spark.driver.memory", spark_driver_memory())
               .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
               .config("spark.executor.extraJavaOptions", "-Duser.timezone=UTC"))
    try:
        _SPARK = builder.getOrCreate()
    except Exception as exc:  # Java missing, master unreachable
        raise DataError(_("Spark could not start ({error})").format(error=str(exc).splitlines()[0][:300]),
                        where=_("master {master}").format(master=master),
                        hint=_("Check that Java 17 is installed and the master URL is reachable, or use "
                               "--engine duckdb")) from None
    _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


def connect(name: str = "duckdb", *, spark_master: str | None = None, memory_limit: str | None = None,
            temp_directory: str | None = None, threads: int | None = None) -> Engine:
    """Open an engine by name (``duckdb``, ``spark`` or ``pandas``)."""
    if name not in ENGINES:
        raise DataError(_("Unknown engine {name!r}").format(name=name),
                        hint=_("Use one of: {names}").format(names=", ".join(ENGINES)))
    if name == "pandas":
        return Engine("pandas")
    import ibis
    if name == "duckdb":
        cfg = duckdb_settings(memory_limit, temp_directory, threads)
        Path(cfg["temp_directory"]).mkdir(parents=True, exist_ok=True)
        return Engine("duckdb", ibis.duckdb.connect(**cfg), {k: cfg[k] for k in ("memory_limit", "temp_directory")})
    session = spark_session(spark_master)
    return Engine("spark", ibis.pyspark.connect(session), {"master": session.sparkContext.master})
