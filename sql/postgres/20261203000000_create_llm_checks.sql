-- One row per probe: one model of one provider, tried from one region, for one cron minute.
-- Applies to a fresh Supabase project and to plain PostgreSQL 15 alike, and applies twice.

-- Supabase ships these roles; plain PostgreSQL does not. service_role must bypass row-level
-- security as it does on Supabase, or the writer would be refused by the policy-less table.
do $$
begin
  if not exists (select from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

create table if not exists public.llm_checks (
  id bigint generated always as identity primary key,
  scheduled_at timestamptz not null,
  ts timestamptz not null,
  region text not null,
  colo text,
  provider text not null,
  model text not null,
  ok boolean not null,
  http_status integer,
  error_type text,
  attribution text,
  latency_ms integer not null,
  ttfb_ms integer,
  tokens_in integer,
  tokens_out integer,
  request_id text,
  detail text,

  -- A repeated or retried cron run writes the same key again; the insert ignores it.
  constraint llm_checks_scheduled_at_region_provider_model_key
    unique (scheduled_at, region, provider, model),
  -- date_bin is immutable where date_trunc on timestamptz is not.
  constraint llm_checks_scheduled_at_check
    check (date_bin('1 minute', scheduled_at, timestamptz '2000-01-01 00:00:00+00') = scheduled_at),
  constraint llm_checks_http_status_check check (http_status between 100 and 599),
  constraint llm_checks_error_type_check check (error_type in (
    'overloaded', 'server_error', 'gateway_error', 'timeout', 'bad_body',
    'connect_error', 'dns_error', 'edge_blocked',
    'auth', 'quota', 'model_not_found', 'probe_config',
    'rate_limited'
  )),
  constraint llm_checks_ok_check check (ok = (error_type is null)),
  constraint llm_checks_attribution_check
    check (attribution in ('provider', 'ours', 'network', 'ambiguous')),
  constraint llm_checks_latency_ms_check check (latency_ms >= 0),
  constraint llm_checks_ttfb_ms_check check (ttfb_ms >= 0),
  constraint llm_checks_tokens_in_check check (tokens_in >= 0),
  constraint llm_checks_tokens_out_check check (tokens_out >= 0)
);

create index if not exists llm_checks_ts_idx on public.llm_checks (ts);
create index if not exists llm_checks_provider_model_ts_idx
  on public.llm_checks (provider, model, ts);

comment on table public.llm_checks is
  'One row per probe: a 1-token request to one model from one region for one cron minute.';
comment on column public.llm_checks.scheduled_at is
  'The cron minute the probe belongs to (UTC, on the minute); part of the idempotency key.';
comment on column public.llm_checks.ts is 'When the probe request started.';
comment on column public.llm_checks.region is
  'Durable Object locationHint the probe ran under (wnam, weur, apac, ...).';
comment on column public.llm_checks.colo is
  'Cloudflare colo the region object actually ran in, from cdn-cgi/trace; null if unknown.';
comment on column public.llm_checks.http_status is
  'Status of the provider response; null when no response arrived.';
comment on column public.llm_checks.error_type is 'Failure class; null exactly when ok.';
comment on column public.llm_checks.attribution is
  'Whose failure it is: provider, ours (key, quota, config), network, or ambiguous.';
comment on column public.llm_checks.latency_ms is
  'From the start of the request to the last byte of the response, or to the failure.';
comment on column public.llm_checks.ttfb_ms is
  'From the start of the request to the response headers; null when none arrived.';
comment on column public.llm_checks.request_id is
  'The provider''s request id (x-request-id, request-id), kept for support tickets.';
comment on column public.llm_checks.detail is
  'Short error text, cut and scrubbed of anything that looks like a key.';

-- Supabase grants every new table to anon and authenticated by default privileges; this
-- table is written and read by the service role alone.
revoke all on table public.llm_checks from anon, authenticated;
grant select, insert, update, delete on table public.llm_checks to service_role;

-- No policies: with row-level security on, any role that is granted access later still sees
-- nothing until a policy says otherwise.
alter table public.llm_checks enable row level security;
