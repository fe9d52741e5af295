#!/bin/sh
# Run once by Patroni on the first primary (bootstrap.post_bootstrap): the app's own role, owner
# of the app's database, so the app never connects as the superuser.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$APP_DB_PASSWORD" "$1" <<'SQL'
CREATE ROLE booking LOGIN PASSWORD :'password';
CREATE DATABASE mynumber_booking OWNER booking;
SQL
