-- Alert state: one row per alert episode, and one delivery row per alert event and channel.
-- The database, not the Worker, keeps an alert open once: two regions' invocations in the same
-- minute may both decide to open it, and only one row can win. Applies after
-- 20261203000000_create_llm_checks.sql (which creates the Supabase roles on plain PostgreSQL),
-- to a fresh Supabase project and to plain PostgreSQL 15 alike, and applies twice.

create table if not exists public.alerts (
  id bigint generated always as identity primary key,
  rule text not null,
  scope text not null,
  provider text not null,
  model text not null,
  region text,
  verdict text not null,
  title text not null,
  detail text not null,
  fix text,
  official_status text not null,
  measured jsonb not null,
  opened_at timestamptz not null,
  last_notified_at timestamptz,
  resolved_at timestamptz,

  constraint alerts_rule_check check (rule in (
    'provider_errors', 'latency', 'official_mismatch', 'regional', 'configuration'
  )),
  constraint alerts_verdict_check check (verdict in ('provider', 'ours', 'network')),
  constraint alerts_measured_check check (jsonb_typeof(measured) = 'object'),
  constraint alerts_last_notified_at_check check (last_notified_at >= opened_at),
  constraint alerts_resolved_at_check check (resolved_at >= opened_at)
);

-- At most one open alert per rule and scope. A partial index is no constraint, so PostgREST's
-- on_conflict cannot name it (it sends `on conflict (rule, scope)` without the predicate, and
-- PostgreSQL infers no arbiter from that); public.open_alert below names it with its predicate.
create unique index if not exists alerts_rule_scope_open_key
  on public.alerts (rule, scope) where resolved_at is null;
create index if not exists alerts_opened_at_idx on public.alerts (opened_at);

comment on table public.alerts is
  'One row per alert episode: opened once, reminded while it stays open, resolved once.';
comment on column public.alerts.rule is
  'The rule that fired: provider_errors, latency, official_mismatch, regional, configuration.';
comment on column public.alerts.scope is
  'What the alert is about: provider/model, or provider/model@region for the regional rule.';
comment on column public.alerts.region is 'The region of a regional alert; null otherwise.';
comment on column public.alerts.verdict is
  'Whose problem it is: provider, ours (key, quota, config) or network.';
comment on column public.alerts.fix is 'What to do about it, when there is something to do.';
comment on column public.alerts.official_status is
  'The provider''s own status page when the alert opened: operational, degraded, ... or unknown.';
comment on column public.alerts.measured is
  'The numbers behind the alert when it opened: window_min, probes, failures, failure_rate, '
  'p50_ms, p95_ms, baseline_p95_ms, regions_failing, regions_total, error_types.';
comment on column public.alerts.last_notified_at is
  'When the alert was last sent (opened or reminded); a reminder moves it only from the value '
  'it read, so two invocations never both remind.';
comment on column public.alerts.resolved_at is 'When the alert resolved; null while it is open.';

create table if not exists public.alert_deliveries (
  id bigint generated always as identity primary key,
  alert_id bigint not null,
  event text not null,
  event_at timestamptz not null,
  channel text not null,
  payload text not null,
  status text not null default 'pending',
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  sent_at timestamptz,

  constraint alert_deliveries_alert_id_fkey
    foreign key (alert_id) references public.alerts (id) on delete cascade,
  -- An event is enqueued once per channel, however many invocations decide it.
  constraint alert_deliveries_alert_id_event_event_at_channel_key
    unique (alert_id, event, event_at, channel),
  constraint alert_deliveries_event_check check (event in ('open', 'remind', 'resolve')),
  constraint alert_deliveries_payload_check check (json_typeof(payload::json) = 'object'),
  constraint alert_deliveries_status_check check (status in ('pending', 'sent', 'dead')),
  constraint alert_deliveries_attempts_check check (attempts >= 0),
  constraint alert_deliveries_sent_at_check check ((status = 'sent') = (sent_at is not null))
);

create index if not exists alert_deliveries_next_attempt_at_idx
  on public.alert_deliveries (next_attempt_at) where status = 'pending';

comment on table public.alert_deliveries is
  'One row per alert event and channel: the rendered message and how sending it went.';
comment on column public.alert_deliveries.event is 'open, remind or resolve.';
comment on column public.alert_deliveries.event_at is
  'The minute of the event: opened_at, the reminder''s last_notified_at, or resolved_at.';
comment on column public.alert_deliveries.channel is
  'Where the message goes, as kind:name from the configuration (slack:ops, webhook:pager).';
comment on column public.alert_deliveries.payload is
  'The rendered body exactly as it is sent, as JSON text.';
comment on column public.alert_deliveries.status is
  'pending until sent; dead when the attempts ran out or the channel refused it for good.';
comment on column public.alert_deliveries.attempts is 'Sending attempts made so far.';
comment on column public.alert_deliveries.next_attempt_at is
  'Not sent before this time; moved on after each failed attempt.';
comment on column public.alert_deliveries.last_error is
  'Why the last attempt failed, cut and scrubbed; null before any failure.';
comment on column public.alert_deliveries.sent_at is 'When the channel accepted it.';

-- Opens an alert unless one is already open for its rule and scope: answers the new id, or
-- null when another invocation holds the open one. Called as POST /rest/v1/rpc/open_alert.
create or replace function public.open_alert(
  rule text, scope text, provider text, model text, region text, verdict text, title text,
  detail text, fix text, official_status text, measured jsonb, opened_at timestamptz,
  last_notified_at timestamptz
) returns bigint
language sql
volatile
security invoker
set search_path = ''
as $$
  insert into public.alerts (
    rule, scope, provider, model, region, verdict, title, detail, fix, official_status,
    measured, opened_at, last_notified_at
  ) values (
    open_alert.rule, open_alert.scope, open_alert.provider, open_alert.model,
    open_alert.region, open_alert.verdict, open_alert.title, open_alert.detail,
    open_alert.fix, open_alert.official_status, open_alert.measured, open_alert.opened_at,
    open_alert.last_notified_at
  )
  on conflict (rule, scope) where resolved_at is null do nothing
  returning id
$$;

comment on function public.open_alert is
  'Inserts an open alert unless its rule and scope already have one; the new id, else null.';

-- As for llm_checks: the service role alone reads and writes, and with row-level security on
-- and no policies any role granted access later still sees nothing.
revoke all on table public.alerts, public.alert_deliveries from anon, authenticated;
grant select, insert, update, delete on table public.alerts, public.alert_deliveries
  to service_role;
alter table public.alerts enable row level security;
alter table public.alert_deliveries enable row level security;

-- Functions are executable by PUBLIC by default, and Supabase grants new ones to the API roles.
revoke all on function public.open_alert from public, anon, authenticated;
grant execute on function public.open_alert to service_role;
