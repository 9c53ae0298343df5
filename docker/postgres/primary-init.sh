#!/bin/sh
# Runs once, when the official postgres image initialises region A's empty data directory
# (/docker-entrypoint-initdb.d). Creates what the embedded sandbox's PostgresPair creates:
# a replication login for region B's standby, the application's non-superuser login
# (`app`/`sandbox`, as in the emulator's `case-api/db` secret) and the heartbeat table.
set -eu

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD 'replicator';
CREATE ROLE app LOGIN PASSWORD 'sandbox';
GRANT USAGE, CREATE ON SCHEMA public TO app;
CREATE TABLE IF NOT EXISTS heartbeat (
  id bigserial PRIMARY KEY,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  written_by text NOT NULL DEFAULT current_setting('cluster_name')
);
CREATE INDEX IF NOT EXISTS heartbeat_written_at ON heartbeat (written_at);
CREATE INDEX IF NOT EXISTS heartbeat_written_by_at ON heartbeat (written_by, written_at);
SQL

# The standby connects over loopback (host networking) to stream WAL.
echo "host replication replicator 127.0.0.1/32 scram-sha-256" >> "$PGDATA/pg_hba.conf"
