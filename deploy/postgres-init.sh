#!/bin/sh
# First start of the production database (docker-entrypoint-initdb.d): the owner role runs
# the migrations and owns every table; the application role owns nothing and is neither
# superuser nor BYPASSRLS, so that row-level security applies to everything it does.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE iml_owner LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE PASSWORD '${IML_OWNER_PASSWORD}';
CREATE ROLE iml_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB PASSWORD '${IML_APP_PASSWORD}';
CREATE DATABASE iml OWNER iml_owner;
SQL
