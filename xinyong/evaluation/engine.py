"""Engines: the compiled query over Arrow input relations, on DuckDB (in process) or Spark.

The store is read through the subjects and records services into two Arrow tables (DuckDB
cannot attach SQLite/PostgreSQL offline here, and Spark reads Arrow too); the same sqlglot
query, rendered in each engine's dialect, runs over them. Results come back as an Arrow table
with one row per evaluated subject.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput, Unavailable
from xinyong.creditstate import service as creditstate_service
from xinyong.evaluation import features as F
from xinyong.evaluation.model import Compiled
from xinyong.records import service as records_service
from xinyong.subjects import service as subjects_service

SUBJECT_SCHEMA = pa.schema(
    [
        ("subject_id", pa.int64()),
        ("kind", pa.string()),
        ("status", pa.string()),
        ("registered_ymd", pa.int32()),
        ("registered_capital", pa.decimal128(18, 4)),
        ("lists", pa.string()),  # ",blacklist,red_list," (None: on no list)
    ]
)
RECORD_BASE = [
    ("record_id", pa.int64()),
    ("subject_id", pa.int64()),
    ("item_code", pa.string()),
    ("category", pa.string()),
    ("severity", pa.string()),
    ("decision_date", pa.date32()),
    ("decision_ymd", pa.int32()),
    ("publicity_end", pa.date32()),
]


def record_schema(fact_fields: Iterable[str]) -> pa.Schema:
    return pa.schema(RECORD_BASE + [(f"fact__{f}", pa.string()) for f in sorted(set(fact_fields))])


@dataclass
class Inputs:
    """The input relations of one evaluation: subjects and their in-force records."""

    subjects: pa.Table
    records: pa.Table
    as_of: date
    snapshot_at: datetime | None  # None: the store's current state

    def without_records(self, record_ids: Iterable[int]) -> Inputs:
        """The same inputs minus some records (what-if: repaired or expired)."""
        drop = pa.array(sorted(set(record_ids)), pa.int64())
        import pyarrow.compute as pc

        keep = pc.invert(pc.is_in(self.records["record_id"], value_set=drop))
        return Inputs(self.subjects, self.records.filter(keep), self.as_of, self.snapshot_at)


def normalise_rating(value: str | None) -> str | None:
    """Sector ratings as departments write them (“A级”, “ a ”) → “A”."""
    if value is None:
        return None
    import unicodedata

    text = unicodedata.normalize("NFKC", value).strip().upper()
    return text.removesuffix("级").strip() or None


def subjects_table(rows: Sequence[Any], lists: dict[int, list[str]]) -> pa.Table:
    """Arrow subjects from ``subjects.service.EvaluationSubject`` rows."""
    return pa.table(
        {
            "subject_id": pa.array([r.subject_id for r in rows], pa.int64()),
            "kind": pa.array([r.kind for r in rows], pa.string()),
            "status": pa.array([r.status for r in rows], pa.string()),
            "registered_ymd": pa.array(
                [F.ymd(r.registered_on) if r.registered_on else None for r in rows], pa.int32()
            ),
            "registered_capital": pa.array(
                [
                    Decimal(r.registered_capital).quantize(Decimal("0.0001"))
                    if r.registered_capital is not None
                    else None
                    for r in rows
                ],
                pa.decimal128(18, 4),
            ),
            "lists": pa.array(
                [
                    ("," + ",".join(lists[r.subject_id]) + ",") if r.subject_id in lists else None
                    for r in rows
                ],
                pa.string(),
            ),
        },
        schema=SUBJECT_SCHEMA,
    )


def records_table(rows: Sequence[Any], fact_fields: Iterable[str]) -> pa.Table:
    """Arrow records from ``records.service.EvaluationRecord`` rows."""
    fields = sorted(set(fact_fields))
    data: dict[str, pa.Array] = {
        "record_id": pa.array([r.record_id for r in rows], pa.int64()),
        "subject_id": pa.array([r.subject_id for r in rows], pa.int64()),
        "item_code": pa.array([r.item_code for r in rows], pa.string()),
        "category": pa.array([r.category for r in rows], pa.string()),
        "severity": pa.array([r.severity for r in rows], pa.string()),
        "decision_date": pa.array([r.decision_date for r in rows], pa.date32()),
        "decision_ymd": pa.array(
            [F.ymd(r.decision_date) if r.decision_date else None for r in rows], pa.int32()
        ),
        "publicity_end": pa.array([r.publicity_end for r in rows], pa.date32()),
    }
    for f in fields:
        values = [r.facts.get(f) for r in rows]
        if f == "rating":
            values = [normalise_rating(v) for v in values]
        data[f"fact__{f}"] = pa.array(values, pa.string())
    return pa.table(data, schema=record_schema(fields))


def load_inputs(
    session: Session,
    *,
    as_of: date,
    items: Iterable[str],
    facts: Iterable[tuple[str, str]],
    kinds: Iterable[str] | None = None,
    subject_ids: Sequence[int] | None = None,
    snapshot_at: datetime | None = None,
) -> Inputs:
    """Read the store (through the subjects, records and credit state services) into Arrow input
    relations."""

    fact_map: dict[str, list[str]] = {}
    for item, fld in facts:
        fact_map.setdefault(item, []).append(fld)
    subjects = subjects_service.evaluation_subjects(session, kinds=kinds, subject_ids=subject_ids)
    lists = creditstate_service.list_memberships(session, subject_ids)
    records = records_service.evaluation_records(
        session, items=sorted(set(items)), facts=fact_map, subject_ids=subject_ids, at=snapshot_at
    )
    fact_fields = {f for _, f in facts}
    return Inputs(subjects_table(subjects, lists), records_table(records, fact_fields), as_of, snapshot_at)


# --- engines ------------------------------------------------------------------------------------


_local = threading.local()
# Every connection opened, to close them at exit: a connection left open in a worker thread
# (the server's thread pool) aborted the interpreter's shutdown ("terminate called …").
_connections: list[duckdb.DuckDBPyConnection] = []
_connections_lock = threading.Lock()


def _duckdb() -> duckdb.DuckDBPyConnection:
    """One in-process DuckDB connection per thread (opening one costs more than a small query)."""
    con: duckdb.DuckDBPyConnection | None = getattr(_local, "con", None)
    if con is None:
        con = _local.con = duckdb.connect()
        with _connections_lock:
            _connections.append(con)
    return con


@atexit.register
def _close_connections() -> None:
    with _connections_lock:
        for con in _connections:
            with contextlib.suppress(Exception):
                con.close()
        _connections.clear()


def run_duckdb(compiled: Compiled, inputs: Inputs) -> pa.Table:
    """Run the compiled query on DuckDB over the Arrow inputs. The query is kept as a view of
    the connection (parsed once), over whatever ``subjects`` and ``records`` are registered."""
    con = _duckdb()
    views: dict[tuple[str, date], str] = _local.__dict__.setdefault("views", {})
    key = (compiled.spec.content_hash(), compiled.as_of)
    try:
        con.register("subjects", _conform(inputs.subjects, SUBJECT_SCHEMA))
        con.register("records", _conform_records(inputs.records, compiled))
        view = views.get(key)
        if view is None:
            view = f"evaluation_{key[0][:16]}_{F.ymd(key[1])}"
            con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {compiled.sql('duckdb')}")
            views[key] = view
        return con.sql(f"SELECT * FROM {view} ORDER BY subject_id").to_arrow_table()
    finally:
        con.unregister("subjects")
        con.unregister("records")


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    return table.select(schema.names).cast(schema)


def _conform_records(table: pa.Table, compiled: Compiled) -> pa.Table:
    """The records relation with exactly the fact columns the query may read (absent → nulls)."""
    needed = {f for _, f in compiled.spec.facts()}
    have = {n.removeprefix("fact__") for n in table.column_names if n.startswith("fact__")}
    for f in sorted(needed - have):
        table = table.append_column(f"fact__{f}", pa.nulls(table.num_rows, pa.string()))
    return table.select([n for n, _ in RECORD_BASE] + [f"fact__{f}" for f in sorted(needed | have)])


_spark_lock = threading.Lock()
_spark: Any = None


def spark_available() -> bool:
    """Whether PySpark is installed (the ``spark`` extra; a city may run without it)."""
    return importlib.util.find_spec("pyspark") is not None


def _spark_unavailable(reason: str) -> Unavailable:
    return Unavailable(
        f"The Spark engine is not available on this server ({reason}); use engine duckdb",
        f"本服务器未提供 Spark 计算引擎（{reason}），请改用 duckdb 引擎",
        code="evaluation.engine_unavailable",
        field="engine",
        value="spark",
    )


def require_engine(engine: str) -> None:
    """Refuse an unknown engine, or Spark where PySpark is not installed, before any work."""
    if engine not in ENGINES:
        raise InvalidInput(
            f"Unknown engine {engine!r} (duckdb or spark)",
            f"未知的计算引擎 {engine}（可选 duckdb、spark）",
            code="evaluation.unknown_engine",
            field="engine",
            value=engine,
        )
    if engine == "spark" and not spark_available():
        raise _spark_unavailable("pyspark is not installed")


def spark_session() -> Any:
    """One local SparkSession per process (``local[2]``; no UI; quiet logs)."""
    global _spark
    if not spark_available():
        raise _spark_unavailable("pyspark is not installed")
    with _spark_lock:
        if _spark is None:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            from pyspark.sql import SparkSession

            try:
                _spark = _build_spark(SparkSession)
            except Exception as exc:  # no Java, no gateway: the caller gets a 503, not a 500
                raise _spark_unavailable(type(exc).__name__) from exc
        return _spark


def _build_spark(SparkSession: Any) -> Any:
    spark = (
        SparkSession.builder.master(os.environ.get("XINYONG_SPARK_MASTER", "local[2]"))
        .appName("xinyong-evaluation")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.ansi.enabled", "true")
        # The compiled query is one wide expression tree: generating and compiling Java
        # for it costs more than it saves on a city's rows. A province on a real
        # cluster may turn it back on (XINYONG_SPARK_WHOLESTAGE_CODEGEN=true).
        .config(
            "spark.sql.codegen.wholeStage",
            os.environ.get("XINYONG_SPARK_WHOLESTAGE_CODEGEN", "false"),
        )
        .config("spark.sql.adaptive.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop_spark() -> None:
    global _spark
    with _spark_lock:
        if _spark is not None:
            _spark.stop()
            _spark = None


def run_spark(compiled: Compiled, inputs: Inputs) -> pa.Table:
    """Run the same compiled query on Apache Spark (the query rendered in Spark's dialect)."""
    spark = spark_session()
    subjects = _conform(inputs.subjects, SUBJECT_SCHEMA)
    spark.createDataFrame(subjects, schema=_spark_schema(subjects.schema)).createOrReplaceTempView("subjects")
    records = _conform_records(inputs.records, compiled)
    spark.createDataFrame(records, schema=_spark_schema(records.schema)).createOrReplaceTempView("records")
    result: pa.Table = spark.sql(compiled.sql("spark")).toArrow()
    return result


def _spark_schema(schema: pa.Schema) -> Any:
    """An explicit Spark schema, so that an empty relation still has typed columns."""
    from pyspark.sql import types as T

    mapping = {
        pa.int64(): T.LongType(),
        pa.int32(): T.IntegerType(),
        pa.string(): T.StringType(),
        pa.date32(): T.DateType(),
        pa.decimal128(18, 4): T.DecimalType(18, 4),
    }
    return T.StructType([T.StructField(f.name, mapping[f.type], True) for f in schema])


ENGINES = {"duckdb": run_duckdb, "spark": run_spark}


def run(compiled: Compiled, inputs: Inputs, engine: str = "duckdb") -> pa.Table:
    require_engine(engine)
    return ENGINES[engine](compiled, inputs)
