-- The state behind official status ingestion, as in
-- sql/postgres/20261203030000_create_status_state.sql, for Cloudflare D1 (SQLite). Same column
-- names in the same order, same keys, checks and index names. Timestamps are text in one
-- canonical form, '2026-12-03T12:05:00.000Z'; state is JSON text.

create table if not exists status_sources (
  source text primary key,
  provider text not null,
  format text not null check (format in (
    'statuspage', 'incidentio', 'google_cloud', 'aistudio', 'feed', 'instatus'
  )),
  url text not null,
  etag text,
  last_modified text,
  fetched_at text check (strftime('%Y-%m-%dT%H:%M:%fZ', fetched_at) = fetched_at),
  http_status integer,
  parse_state text check (parse_state in ('events', 'empty', 'failed')),
  reason text,
  failures integer not null default 0 check (failures >= 0),
  failed_since text check (strftime('%Y-%m-%dT%H:%M:%fZ', failed_since) = failed_since),
  last_ok_at text check (strftime('%Y-%m-%dT%H:%M:%fZ', last_ok_at) = last_ok_at),
  status text not null check (status in (
    'operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', 'unknown'
  )),
  state text not null check (json_valid(state) and json_type(state) = 'object')
);

create table if not exists provider_status_current (
  provider text not null,
  source text not null,
  component text not null,
  status text not null check (status in (
    'operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', 'unknown'
  )),
  title text not null,
  since text not null check (strftime('%Y-%m-%dT%H:%M:%fZ', since) = since),
  updated_at text not null check (strftime('%Y-%m-%dT%H:%M:%fZ', updated_at) = updated_at),
  primary key (source, component)
);

create index if not exists provider_status_current_provider_idx
  on provider_status_current (provider);

create table if not exists provider_status_lag (
  provider text not null,
  first_alert_at text not null
    check (strftime('%Y-%m-%dT%H:%M:%fZ', first_alert_at) = first_alert_at),
  alert_rule text not null,
  alert_scope text not null,
  acknowledged_at text not null
    check (strftime('%Y-%m-%dT%H:%M:%fZ', acknowledged_at) = acknowledged_at),
  lag_min integer not null,
  source text not null,
  source_id text not null,
  incident_title text not null,
  incident_url text,
  recorded_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    check (strftime('%Y-%m-%dT%H:%M:%fZ', recorded_at) = recorded_at),
  primary key (provider, first_alert_at)
);

create index if not exists provider_status_lag_provider_acknowledged_at_idx
  on provider_status_lag (provider, acknowledged_at);
