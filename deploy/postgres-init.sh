#!/bin/sh
# First start of the production database (docker-entrypoint-initdb.d): the owner role runs
# the migrations and owns every table; the application role owns nothing and is neither
# superuser nor BYPASSRLS, so that row-level security applies to everything it does.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE iml_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE PASSWORD '${IML_OWNER_PASSWORD}';
CREATE ROLE iml_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD '${IML_APP_PASSWORD}';
-- Backups only (make backup / restore): bypasses row-level security to dump every row.
-- Its URL (DATABASE_BACKUP_URL) is given to the backup job, never to web, worker or beat.
CREATE ROLE iml_backup LOGIN BYPASSRLS CREATEDB NOSUPERUSER PASSWORD '${IML_BACKUP_PASSWORD}' IN ROLE iml_owner, pg_signal_backend;
CREATE DATABASE iml OWNER iml_owner;
SQL
