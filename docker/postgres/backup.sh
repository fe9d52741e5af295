#!/bin/sh
# The backup service (docker-compose.yml): streams every WAL record from the primary (through
# HAProxy, so it follows a failover) into /backup/wal with pg_receivewal on the permanent slot
# "backup", and takes a base backup into /backup/base/<date> every day at 02:30 Japan time,
# keeping seven. Restore: docs/operations.md, "A server of its own".
set -eu
export PGHOST=haproxy PGPORT=5000 PGUSER=replicator PGPASSWORD="$REPLICATION_PASSWORD"
mkdir -p /backup/wal /backup/base
base_backup() {
  target="/backup/base/$(TZ=Asia/Tokyo date +%Y%m%d-%H%M)"
  pg_basebackup -D "$target.partial" -Ft -z -X none -c fast && mv "$target.partial" "$target"
  ls -1d /backup/base/2* | head -n -7 | xargs -r rm -rf
}
[ -n "$(ls /backup/base)" ] || base_backup
while true; do
  # Sleeps until the next 02:30 Japan time, then backs up; pg_receivewal runs beside it.
  now=$(TZ=Asia/Tokyo date +%s); next=$(TZ=Asia/Tokyo date -d 'tomorrow 02:30' +%s)
  [ "$(TZ=Asia/Tokyo date +%H%M)" -lt 0230 ] && next=$(TZ=Asia/Tokyo date -d 'today 02:30' +%s)
  sleep $((next - now)) && base_backup
done &
exec pg_receivewal -D /backup/wal --slot=backup --synchronous --no-loop
