#!/bin/sh
# Run once by Patroni on the first primary (bootstrap.post_bootstrap): the app's own role, owner
# of the app's database, so the app never connects as the superuser.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$APP_DB_PASSWORD" "$1" <<'SQL'
CREATE ROLE booking LOGIN PASSWORD :'password';
CREATE DATABASE mynumber_booking OWNER booking;
-- The J-LIS import's commit skips the per-row key checks of its one insert (decision 0030).
GRANT SET ON PARAMETER session_replication_role TO booking;
SQL
