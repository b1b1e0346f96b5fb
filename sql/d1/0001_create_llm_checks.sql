-- One row per probe, as in sql/postgres/20261203000000_create_llm_checks.sql, for Cloudflare
-- D1 (SQLite). Same column names in the same order, same key, same checks, same index names;
-- 0006 drops the indexes only Postgres' readers need.
-- Timestamps are text in one canonical form, since the unique key compares them as strings:
-- scheduled_at '2026-12-03T12:05:00Z', ts '2026-12-03T12:05:00.123Z'.

create table if not exists llm_checks (
  id integer primary key,
  scheduled_at text not null
    check (strftime('%Y-%m-%dT%H:%M:00Z', scheduled_at) = scheduled_at),
  ts text not null
    check (strftime('%Y-%m-%dT%H:%M:%fZ', ts) = ts),
  region text not null,
  colo text,
  provider text not null,
  model text not null,
  ok integer not null check (ok in (0, 1)),
  http_status integer check (http_status between 100 and 599),
  error_type text check (error_type in (
    'overloaded', 'server_error', 'gateway_error', 'timeout', 'bad_body',
    'connect_error', 'dns_error', 'edge_blocked',
    'auth', 'quota', 'model_not_found', 'probe_config',
    'rate_limited'
  )),
  attribution text check (attribution in ('provider', 'ours', 'network', 'ambiguous')),
  latency_ms integer not null check (latency_ms >= 0),
  ttfb_ms integer check (ttfb_ms >= 0),
  tokens_in integer check (tokens_in >= 0),
  tokens_out integer check (tokens_out >= 0),
  request_id text,
  detail text,
  check ((ok = 1) = (error_type is null))
);

-- SQLite does not keep constraint names, so the key is a named unique index: the same name
-- as the Postgres constraint, and the target of `on conflict (...) do nothing` all the same.
create unique index if not exists llm_checks_scheduled_at_region_provider_model_key
  on llm_checks (scheduled_at, region, provider, model);
create index if not exists llm_checks_ts_idx on llm_checks (ts);
create index if not exists llm_checks_provider_model_ts_idx on llm_checks (provider, model, ts);
