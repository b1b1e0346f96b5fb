-- What the providers' own status pages said: one row per incident, component or feed entry
-- each time its status or its last update changes. Applies after
-- 20261203000000_create_llm_checks.sql (which creates the Supabase roles on plain PostgreSQL),
-- to a fresh Supabase project and to plain PostgreSQL 15 alike, and applies twice.

create table if not exists public.provider_status_events (
  id bigint generated always as identity primary key,
  ts timestamptz not null,
  provider text not null,
  source text not null,
  source_id text not null,
  component text not null default '',
  status text not null,
  impact text,
  title text not null,
  url text,
  observed_at timestamptz not null default now(),

  -- A page fetched again says the same thing again; the insert ignores it.
  constraint provider_status_events_key
    unique (provider, source_id, component, ts, status),
  constraint provider_status_events_source_check check (source in (
    'statuspage', 'incidentio', 'google_cloud', 'aistudio', 'feed', 'instatus'
  )),
  constraint provider_status_events_status_check check (status in (
    'operational', 'degraded', 'partial_outage', 'major_outage', 'maintenance', 'unknown'
  )),
  constraint provider_status_events_impact_check check (impact in (
    'none', 'minor', 'major', 'critical', 'maintenance', 'unknown'
  ))
);

create index if not exists provider_status_events_provider_ts_idx
  on public.provider_status_events (provider, ts);

comment on table public.provider_status_events is
  'The providers'' official status, as their pages and feeds said it, deduplicated.';
comment on column public.provider_status_events.ts is
  'When the source says this happened: the incident''s or component''s last update.';
comment on column public.provider_status_events.source is
  'The adapter that read it: statuspage, incidentio, google_cloud, aistudio, feed, instatus.';
comment on column public.provider_status_events.source_id is
  'The source''s own id for the incident, component or feed entry.';
comment on column public.provider_status_events.component is
  'The source''s component id the event is about; empty for a page-wide event or an incident '
  'that names no component.';
comment on column public.provider_status_events.status is
  'Normalised: operational, degraded, partial_outage, major_outage, maintenance, unknown. A '
  'value the adapter does not know is unknown, never operational.';
comment on column public.provider_status_events.impact is
  'The incident''s impact, normalised: none, minor, major, critical, maintenance, unknown.';
comment on column public.provider_status_events.observed_at is
  'When HeyHi first read it; against ts this is the lag of our polling, not of the provider.';

revoke all on table public.provider_status_events from anon, authenticated;
grant select, insert, update, delete on table public.provider_status_events to service_role;
alter table public.provider_status_events enable row level security;
