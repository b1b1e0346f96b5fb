-- A read-only role for Grafana's PostgreSQL data source: it reads the probes, the hourly
-- rollup, the official status events and the alerts, and nothing else; it writes nothing. The
-- role cannot log in until you give it a password of your own (never in a migration):
--   alter role heyhi_grafana with login password '<a long random password>';
-- Applies after the migrations that create those tables, to a fresh Supabase project and to
-- plain PostgreSQL 15 alike, and applies twice.

do $$
begin
  if not exists (select from pg_roles where rolname = 'heyhi_grafana') then
    create role heyhi_grafana nologin;
  end if;
end
$$;

comment on role heyhi_grafana is
  'Grafana''s read-only reader of the HeyHi board: select on its tables, nothing more.';

-- Guards beside the grants: a dashboard query runs read-only and cannot run away. JIT is off
-- because compiling a panel's short query costs more than running it.
alter role heyhi_grafana set default_transaction_read_only = on;
alter role heyhi_grafana set statement_timeout = '15s';
alter role heyhi_grafana set jit = off;

grant usage on schema public to heyhi_grafana;
grant select on table
  public.llm_checks, public.llm_checks_hourly, public.provider_status_events, public.alerts
  to heyhi_grafana;
grant execute on function
  public.latency_bucket(integer),
  public.latency_bucket_ms(smallint),
  public.latency_histogram_widen(bigint[], integer, integer),
  public.latency_histogram_add(bigint[], smallint[], integer[]),
  public.latency_histogram_merge(bigint[], bigint[]),
  public.latency_histogram(smallint[], integer[]),
  public.latency_quantile(bigint[], double precision)
  to heyhi_grafana;

-- Row-level security is on for every table and the service role bypasses it; the reader sees
-- rows only through these policies, which allow reading and no other command.
drop policy if exists llm_checks_grafana_select on public.llm_checks;
create policy llm_checks_grafana_select on public.llm_checks
  for select to heyhi_grafana using (true);
drop policy if exists llm_checks_hourly_grafana_select on public.llm_checks_hourly;
create policy llm_checks_hourly_grafana_select on public.llm_checks_hourly
  for select to heyhi_grafana using (true);
drop policy if exists provider_status_events_grafana_select on public.provider_status_events;
create policy provider_status_events_grafana_select on public.provider_status_events
  for select to heyhi_grafana using (true);
drop policy if exists alerts_grafana_select on public.alerts;
create policy alerts_grafana_select on public.alerts
  for select to heyhi_grafana using (true);
