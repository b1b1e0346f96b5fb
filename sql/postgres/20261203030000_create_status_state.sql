-- The state behind official status ingestion: how each configured status source was last
-- fetched and read (status_sources), the current status of each provider's API components
-- (provider_status_current), and the lag between our first alert for an incident and the
-- provider's first acknowledgement (provider_status_lag). Applies after
-- 20261203000000_create_llm_checks.sql (which creates the Supabase roles on plain PostgreSQL),
-- to a fresh Supabase project and to plain PostgreSQL 15 alike, and applies twice.

create table if not exists public.status_sources (
  source text primary key,
  provider text not null,
  format text not null,
  url text not null,
  etag text,
  last_modified text,
  fetched_at timestamptz,
  http_status integer,
  parse_state text,
  reason text,
  failures integer not null default 0,
  failed_since timestamptz,
  last_ok_at timestamptz,
  status text not null,
  state jsonb not null,

  constraint status_sources_format_check check (format in (
    'statuspage', 'incidentio', 'google_cloud', 'aistudio', 'feed', 'instatus'
  )),
  constraint status_sources_parse_state_check check (parse_state in ('events', 'empty', 'failed')),
  constraint status_sources_status_check check (status in (
    'operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', 'unknown'
  )),
  constraint status_sources_failures_check check (failures >= 0),
  constraint status_sources_state_check check (jsonb_typeof(state) = 'object')
);

comment on table public.status_sources is
  'One row per configured status source: its last fetch, and what it said when last read.';
comment on column public.status_sources.source is 'The source''s id in the configuration.';
comment on column public.status_sources.etag is
  'The ETag of the last good reading, sent back as If-None-Match.';
comment on column public.status_sources.last_modified is
  'The Last-Modified of the last good reading, sent back as If-Modified-Since.';
comment on column public.status_sources.parse_state is
  'How the last fetch ended: events, empty (a genuinely empty page) or failed; null before one.';
comment on column public.status_sources.reason is 'Why the last fetch failed; null otherwise.';
comment on column public.status_sources.failures is 'Failed fetches in a row.';
comment on column public.status_sources.status is
  'The source''s verdict for its provider''s configured API components, as last read. A failed '
  'fetch keeps it.';
comment on column public.status_sources.state is
  'The core''s reading: components, incidents (kept a day for the lag) and the keys of the '
  'events already stored.';

create table if not exists public.provider_status_current (
  provider text not null,
  source text not null,
  component text not null,
  status text not null,
  title text not null,
  since timestamptz not null,
  updated_at timestamptz not null,

  constraint provider_status_current_pkey primary key (source, component),
  constraint provider_status_current_status_check check (status in (
    'operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', 'unknown'
  ))
);

create index if not exists provider_status_current_provider_idx
  on public.provider_status_current (provider);

comment on table public.provider_status_current is
  'The current official status of each configured API component, with the incidents that count '
  'for it; component '''' is the source''s verdict for the whole provider.';
comment on column public.provider_status_current.since is 'When this status was first read.';

create table if not exists public.provider_status_lag (
  provider text not null,
  first_alert_at timestamptz not null,
  alert_rule text not null,
  alert_scope text not null,
  acknowledged_at timestamptz not null,
  lag_min integer not null,
  source text not null,
  source_id text not null,
  incident_title text not null,
  incident_url text,
  recorded_at timestamptz not null default now(),

  constraint provider_status_lag_pkey primary key (provider, first_alert_at)
);

create index if not exists provider_status_lag_provider_acknowledged_at_idx
  on public.provider_status_lag (provider, acknowledged_at);

comment on table public.provider_status_lag is
  'Per incident: minutes between our first alert and the provider''s first acknowledgement.';
comment on column public.provider_status_lag.first_alert_at is
  'When our first provider-attributed alert of the episode opened.';
comment on column public.provider_status_lag.lag_min is
  'acknowledged_at minus first_alert_at, in whole minutes; negative when the provider said it '
  'first.';

revoke all on table public.status_sources, public.provider_status_current,
  public.provider_status_lag from anon, authenticated;
grant select, insert, update, delete on table public.status_sources,
  public.provider_status_current, public.provider_status_lag to service_role;
alter table public.status_sources enable row level security;
alter table public.provider_status_current enable row level security;
alter table public.provider_status_lag enable row level security;
