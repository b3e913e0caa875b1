"""Persisted transitions per second through ``Engine.fire()`` against a raw-SQL baseline.

Both sides do the same writes on the same database in the same run — the compare-and-swap
update of the instance and the insert of one hash-chained audit event, one durable
transaction per transition (SQLite: WAL with ``synchronous=FULL``; PostgreSQL: its default
``synchronous_commit=on``). The engine side runs ``bench/workflows/review.yaml`` — a nomination (roles,
separation of duties, a required document, a required comment, working-day deadlines); the
raw side writes the same values with the driver alone. Rounds alternate between the two so
the machine's noise hits both alike; figures are medians over rounds.

Usage: python -m bench.engine [--transitions N] [--instances M] [--rounds R]
Set LAUREL_DATABASE_URL to a PostgreSQL URL to measure there (a scratch schema is used and
dropped); by default a fresh SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session

from workflow import Actor, Engine, load_definitions
from workflow.loader import DEFAULT_ROOT
from workflow.rules import build_registry
from workflow.audit import event_hash
from workflow.db import create_db_engine, create_schema, normalise_url, postgres_scratch_schema
from workflow.deploy import deploy
from workflow.models import WorkflowInstance
from workflow.workdays import utcnow

WORKFLOW = Path(__file__).parent / "workflows" / "review.yaml"
OFFICER = Actor("bench-officer", frozenset({"unit_officer"}))
HEAD = Actor("bench-head", frozenset({"unit_head"}))
ATTACHMENTS = {"achievement_report": "sha256:" + "ab" * 32}
COMMENT = "Bổ sung số liệu thành tích năm 2026"


def peak_rss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@contextmanager
def scratch_database(url: str | None):
    """(SQLAlchemy URL, raw-connection factory, label) for a throwaway database."""
    if url and normalise_url(url).startswith("postgresql"):
        import psycopg
        with postgres_scratch_schema(url, "bench") as scratch:
            yield scratch.url, lambda: psycopg.connect(scratch.conninfo, options=scratch.options), "postgresql"
        return
    with tempfile.TemporaryDirectory(prefix="laurel-bench-") as folder:
        path = Path(folder) / "bench.db"

        def raw_sqlite():
            import sqlite3
            connection = sqlite3.connect(path, isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000"):
                connection.execute(f"PRAGMA {pragma}")
            return connection
        yield f"sqlite:///{path}", raw_sqlite, "sqlite"


class RawBaseline:
    """The same two writes per transition, with the DBAPI driver and nothing else."""

    UPDATE = ("UPDATE workflow_instance SET state={p}, version={p}, audit_head={p}, state_entered_at={p}, "
              "deadline_at={p}, deadline_handled={p}, last_actor_id={p}, last_actor_for_id={p} "
              "WHERE id={p} AND version={p}")
    INSERT = ("INSERT INTO audit_event (instance_id, seq, kind, trigger, from_state, to_state, actor_id, "
              "acting_for_id, comment, inputs, attachments, workflow_version, occurred_at, prev_hash, hash) "
              "VALUES ({ps})")

    def __init__(self, connect, label: str, instances: list[WorkflowInstance], engine: Engine):
        self.connection = connect()
        self.label = label
        self.sqlite = label == "sqlite"
        p = "?" if self.sqlite else "%s"
        self.update = self.UPDATE.format(p=p)
        self.insert = self.INSERT.format(ps=", ".join([p] * 15))
        self.calendar = engine.calendar
        self.deadline = engine.spec_of(None, instances[0]).states["unit_review"].deadline
        self.rows = [{"id": i.id, "state": i.state, "version": i.version, "head": i.audit_head} for i in instances]

    def _time(self, value):
        if value is None or not self.sqlite:
            return value
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")

    def transition(self, k: int) -> None:
        row = self.rows[k % len(self.rows)]
        now = utcnow()
        submit = row["state"] == "draft"
        actor = OFFICER if submit else HEAD
        to_state = "unit_review" if submit else "draft"
        deadline = self.calendar.due(now, self.deadline) if submit else None
        fields = {"instance_id": row["id"], "seq": row["version"] + 1, "kind": "transition",
                  "trigger": "submit" if submit else "return_for_revision", "from_state": row["state"],
                  "to_state": to_state, "actor_id": actor.id, "acting_for_id": None,
                  "comment": None if submit else COMMENT, "inputs": {},
                  "attachments": ATTACHMENTS if submit else {}, "workflow_version": 1, "occurred_at": now}
        digest = event_hash(fields, row["head"])
        cursor = self.connection.cursor()
        if self.sqlite:
            cursor.execute("BEGIN")
        cursor.execute(self.update, (to_state, fields["seq"], digest, self._time(now), self._time(deadline),
                                     False, actor.id, None, row["id"], row["version"]))
        if cursor.rowcount != 1:
            raise RuntimeError("raw baseline lost its compare-and-swap")
        cursor.execute(self.insert, (row["id"], fields["seq"], "transition", fields["trigger"], row["state"],
                                     to_state, actor.id, None, fields["comment"], json.dumps({}),
                                     json.dumps(fields["attachments"]), 1, self._time(now), row["head"], digest))
        cursor.close()
        self.connection.commit()
        row.update(state=to_state, version=fields["seq"], head=digest)


def engine_transition(engine: Engine, session: Session, instances: list[WorkflowInstance], k: int) -> None:
    instance = instances[k % len(instances)]
    if instance.state == "draft":
        engine.fire(session, instance, "submit", OFFICER, attachments=ATTACHMENTS)
    else:
        engine.fire(session, instance, "return_for_revision", HEAD, comment=COMMENT)
    session.commit()


def timed(step, count: int, offset: int) -> float:
    started = time.perf_counter()
    for k in range(offset, offset + count):
        step(k)
    return count / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transitions", type=int, default=100_000, help="transitions per side (default 100000)")
    parser.add_argument("--instances", type=int, default=100, help="instances cycled through per side")
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds (medians are reported)")
    args = parser.parse_args(argv)
    registry = build_registry()
    definitions = load_definitions(registry, DEFAULT_ROOT, [WORKFLOW])
    with scratch_database(os.environ.get("LAUREL_DATABASE_URL")) as (url, connect_raw, label):
        db = create_db_engine(url)
        create_schema(db)
        engine = Engine(registry, definitions)
        connection = db.connect()  # one connection each side, as the raw baseline has
        session = Session(bind=connection, expire_on_commit=False)
        deploy(session, definitions.workflows.values(), utcnow())
        mine = [engine.start(session, "bench_review", OFFICER, subject_kind="individual") for _ in range(args.instances)]
        theirs = [engine.start(session, "bench_review", OFFICER, subject_kind="individual") for _ in range(args.instances)]
        session.commit()
        raw = RawBaseline(connect_raw, label, theirs, engine)
        per_round = max(1, args.transitions // args.rounds)
        warm = min(per_round, 200)
        timed(raw.transition, warm, 0)
        timed(lambda k: engine_transition(engine, session, mine, k), warm, 0)
        rss_before = peak_rss_kb()
        engine_tps, raw_tps, ratios, rss_by_round = [], [], [], []
        done = 0
        for round_no in range(args.rounds):
            count = min(per_round, args.transitions - done) if round_no < args.rounds - 1 else args.transitions - done
            if count <= 0:
                break
            r = timed(raw.transition, count, warm + done)
            e = timed(lambda k: engine_transition(engine, session, mine, k), count, warm + done)
            done += count
            raw_tps.append(r)
            engine_tps.append(e)
            ratios.append(e / r)
            rss_by_round.append(peak_rss_kb())
            print(f"round {round_no + 1}: raw {r:8.0f}/s  engine {e:8.0f}/s  ratio {e / r:.2f}  "
                  f"peak RSS {rss_by_round[-1] / 1024:.1f} MiB", file=sys.stderr)
        rss_after = peak_rss_kb()
        session.close()
        connection.close()
        raw.connection.close()
        db.dispose()
    result = {
        "database": label,
        "transitions": done,
        "instances": args.instances,
        "rounds": len(ratios),
        "engine_tps": round(statistics.median(engine_tps), 1),
        "raw_tps": round(statistics.median(raw_tps), 1),
        "ratio": round(statistics.median(ratios), 3),
        "peak_rss_before_kb": rss_before,
        "peak_rss_after_kb": rss_after,
        "peak_rss_growth_kb": rss_after - rss_before,
        "peak_rss_by_round_kb": rss_by_round,
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
