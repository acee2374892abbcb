#!/usr/bin/env bash
# Back up one service's database before a production deploy, from a GitHub runner:
#   backup.sh permitto-permits <commit>
# The runner is outside Railway's private network, so it uses the database's public URL (the service's
# DATABASE_PUBLIC_URL variable, read through Railway's API), and a pg_dump of the server's own major
# version (from the postgres image of that version). The dump is encrypted (AES-256, BACKUP_PASSPHRASE)
# before it leaves the runner and goes to the backup bucket (S3 API: R2 or any); it is never an artifact.
set -euo pipefail
service="${1:?give the Railway service, e.g. permitto-permits}"
commit="${2:?give the commit being deployed}"
: "${BACKUP_PASSPHRASE:?set the BACKUP_PASSPHRASE secret}"
: "${BACKUP_BUCKET:?set the BACKUP_BUCKET variable}"
: "${BACKUP_ENDPOINT:?set the BACKUP_ENDPOINT variable: the S3 endpoint of the bucket}"

url=$(python3 infra/scripts/railway_deploy.py database-url --service "$service")
echo "::add-mask::$url"
major=$(docker run --rm postgres:17-alpine psql "$url" --no-psqlrc --tuples-only --no-align \
  --command 'SHOW server_version_num' | cut -c1-2)
if ! [[ "$major" =~ ^[0-9]+$ ]]; then echo "could not read the server's version" >&2; exit 1; fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
file="$service-$stamp-${commit:0:12}.dump.gpg"
docker run --rm "postgres:$major-alpine" pg_dump --format=custom --no-owner "$url" > dump
pg_list=$(docker run --rm -i "postgres:$major-alpine" pg_restore --list < dump | wc -l)
if [ "$pg_list" -lt 5 ]; then echo "the dump of $service looks empty ($pg_list entries)" >&2; exit 1; fi
gpg --batch --yes --pinentry-mode loopback --symmetric --cipher-algo AES256 \
  --passphrase-fd 3 --output "$file" dump 3<<<"$BACKUP_PASSPHRASE"
shred -u dump
aws s3 cp --only-show-errors --endpoint-url "$BACKUP_ENDPOINT" "$file" "s3://$BACKUP_BUCKET/production/$file"
echo "backed up $service to s3://$BACKUP_BUCKET/production/$file (PostgreSQL $major, $pg_list entries)"
