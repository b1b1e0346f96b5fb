-- Alert state, as in sql/postgres/20261203010000_create_alerts.sql, for Cloudflare D1 (SQLite).
-- Same column names in the same order, same keys, checks and index names. Timestamps are text
-- in one canonical form, '2026-12-03T12:05:00.000Z', since reminders compare them as strings
-- and due deliveries are ordered by them; the store writes every timestamp in that form.
-- measured and payload are JSON text.

create table if not exists alerts (
  id integer primary key,
  rule text not null check (rule in (
    'provider_errors', 'latency', 'official_mismatch', 'regional', 'configuration'
  )),
  scope text not null,
  provider text not null,
  model text not null,
  region text,
  verdict text not null check (verdict in ('provider', 'ours', 'network')),
  title text not null,
  detail text not null,
  fix text,
  official_status text not null,
  measured text not null check (json_valid(measured) and json_type(measured) = 'object'),
  opened_at text not null
    check (strftime('%Y-%m-%dT%H:%M:%fZ', opened_at) = opened_at),
  last_notified_at text
    check (strftime('%Y-%m-%dT%H:%M:%fZ', last_notified_at) = last_notified_at
      and last_notified_at >= opened_at),
  resolved_at text
    check (strftime('%Y-%m-%dT%H:%M:%fZ', resolved_at) = resolved_at
      and resolved_at >= opened_at)
);

-- At most one open alert per rule and scope; inserts name it as
-- `on conflict (rule, scope) where resolved_at is null do nothing`.
create unique index if not exists alerts_rule_scope_open_key
  on alerts (rule, scope) where resolved_at is null;
create index if not exists alerts_opened_at_idx on alerts (opened_at);

create table if not exists alert_deliveries (
  id integer primary key,
  alert_id integer not null references alerts (id) on delete cascade,
  event text not null check (event in ('open', 'remind', 'resolve')),
  event_at text not null
    check (strftime('%Y-%m-%dT%H:%M:%fZ', event_at) = event_at),
  channel text not null,
  payload text not null check (json_valid(payload) and json_type(payload) = 'object'),
  status text not null default 'pending' check (status in ('pending', 'sent', 'dead')),
  attempts integer not null default 0 check (attempts >= 0),
  next_attempt_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    check (strftime('%Y-%m-%dT%H:%M:%fZ', next_attempt_at) = next_attempt_at),
  last_error text,
  sent_at text
    check (strftime('%Y-%m-%dT%H:%M:%fZ', sent_at) = sent_at),
  check ((status = 'sent') = (sent_at is not null))
);

-- SQLite keeps no constraint names, so the key is a named unique index, as for llm_checks.
create unique index if not exists alert_deliveries_alert_id_event_event_at_channel_key
  on alert_deliveries (alert_id, event, event_at, channel);
create index if not exists alert_deliveries_next_attempt_at_idx
  on alert_deliveries (next_attempt_at) where status = 'pending';
