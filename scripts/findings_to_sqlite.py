#!/usr/bin/env python3
"""Load `triage run --format jsonl` output into a SQLite database, one snapshot per run.

    triage run --format jsonl fleet/*/ > findings-2026-11-27.jsonl
    python3 scripts/findings_to_sqlite.py fleet.db --snapshot 2026-11-27 findings-2026-11-27.jsonl

Tables (created when missing; loading the same snapshot again replaces it):

    findings(snapshot, input, host, pack, pack_version, rule, severity, outcome, waived, title,
             evidence)   -- one row per finding line; evidence is the JSON array as text
    input_errors(snapshot, input, error)   -- one row per `{"kind":"input_error"}` line

The queries of docs/fleet-queries.md run on it; tests/reports.rs runs them. Standard library
only (json, sqlite3), so it runs wherever Python 3 does.
"""

import argparse
import json
import sqlite3
import sys

SCHEMA = """
CREATE TABLE IF NOT EXISTS findings (
    snapshot TEXT NOT NULL,
    input TEXT NOT NULL,
    host TEXT,
    pack TEXT NOT NULL,
    pack_version TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    outcome TEXT NOT NULL,
    waived INTEGER NOT NULL,
    title TEXT NOT NULL,
    evidence TEXT NOT NULL,
    PRIMARY KEY (snapshot, input, pack, rule)
);
CREATE TABLE IF NOT EXISTS input_errors (
    snapshot TEXT NOT NULL,
    input TEXT NOT NULL,
    error TEXT NOT NULL,
    PRIMARY KEY (snapshot, input)
);
"""


def load(db, snapshot, lines):
    """Replaces `snapshot` in `db` with the records in `lines`; returns (findings, errors)."""
    db.executescript(SCHEMA)
    db.execute("DELETE FROM findings WHERE snapshot = ?", (snapshot,))
    db.execute("DELETE FROM input_errors WHERE snapshot = ?", (snapshot,))
    counts = [0, 0]
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise SystemExit(f"line {number}: not JSON: {e}")
        if record.get("kind") == "input_error":
            db.execute(
                "INSERT INTO input_errors VALUES (?, ?, ?)",
                (snapshot, record["input"], record["error"]),
            )
            counts[1] += 1
            continue
        db.execute(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                snapshot,
                record["input"],
                record.get("host"),
                record["pack"],
                record["pack_version"],
                record["rule"],
                record["severity"],
                record["outcome"],
                1 if record.get("waiver") else 0,
                record["title"],
                json.dumps(record.get("evidence", []), sort_keys=True),
            ),
        )
        counts[0] += 1
    db.commit()
    return tuple(counts)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("database", help="SQLite file, created if missing")
    p.add_argument("--snapshot", required=True, help="label of this run, e.g. its date (2026-11-27)")
    p.add_argument("jsonl", nargs="?", default="-", help="triage's JSON Lines output (default: stdin)")
    args = p.parse_args()
    source = sys.stdin if args.jsonl == "-" else open(args.jsonl, encoding="utf-8")
    with source, sqlite3.connect(args.database) as db:
        findings, errors = load(db, args.snapshot, source)
    print(f"{args.snapshot}: {findings} findings, {errors} unreadable inputs", file=sys.stderr)


if __name__ == "__main__":
    main()
