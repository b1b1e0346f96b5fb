-- The providers' official status, as in
-- sql/postgres/20261203020000_create_provider_status_events.sql, for Cloudflare D1 (SQLite).
-- Same column names in the same order, same key, checks and index names. Timestamps are text
-- in one canonical form, '2026-12-03T12:05:00.000Z', since the unique key compares them as
-- strings.

create table if not exists provider_status_events (
  id integer primary key,
  ts text not null
    check (strftime('%Y-%m-%dT%H:%M:%fZ', ts) = ts),
  provider text not null,
  source text not null check (source in (
    'statuspage', 'incidentio', 'google_cloud', 'aistudio', 'feed', 'instatus'
  )),
  source_id text not null,
  component text not null default '',
  status text not null check (status in (
    'operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', 'unknown'
  )),
  impact text check (impact in (
    'none', 'minor', 'major', 'critical', 'maintenance', 'unknown'
  )),
  title text not null,
  url text,
  observed_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    check (strftime('%Y-%m-%dT%H:%M:%fZ', observed_at) = observed_at)
);

create unique index if not exists provider_status_events_key
  on provider_status_events (provider, source_id, component, ts, status);
create index if not exists provider_status_events_provider_ts_idx
  on provider_status_events (provider, ts);
