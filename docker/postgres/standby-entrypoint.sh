#!/bin/sh
# Region B: a streaming standby of region A, made the first time with pg_basebackup
# (-R writes standby.signal and primary_conninfo), then started by the image's own
# entrypoint, which skips initdb because the data directory is no longer empty.
set -eu

PRIMARY_PORT="${PRIMARY_PORT:-54321}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "standby: waiting for the primary on 127.0.0.1:${PRIMARY_PORT}"
  until pg_isready -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres; do sleep 0.5; done
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  echo "standby: base backup from the primary"
  PGPASSWORD=replicator gosu postgres pg_basebackup \
    -h 127.0.0.1 -p "$PRIMARY_PORT" -U replicator \
    -D "$PGDATA" -R -X stream -c fast
fi
exec docker-entrypoint.sh "$@"
