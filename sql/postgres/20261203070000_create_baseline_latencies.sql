-- The latency baselines' samples, grouped per target in the database: the Worker reads a
-- week of this clock hour's successful probes once an hour, and thousands of rows parsed in
-- the Worker would cost more CPU than a Free plan invocation has. Called as
-- POST /rest/v1/rpc/baseline_latencies with {"ranges": [{"from", "to"}], "regions": [...]}.
create or replace function public.baseline_latencies(ranges jsonb, regions text[])
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(
    jsonb_agg(jsonb_build_object('provider', g.provider, 'model', g.model,
                                 'latencies', g.latencies)),
    '[]'::jsonb)
  from (
    select c.provider, c.model, array_agg(c.latency_ms) as latencies
    from jsonb_to_recordset(baseline_latencies.ranges) as r ("from" timestamptz, "to" timestamptz)
    join public.llm_checks c on c.scheduled_at between r."from" and r."to"
    where c.ok and c.region = any (baseline_latencies.regions)
    group by c.provider, c.model
  ) g
$$;

comment on function public.baseline_latencies is
  'Per provider and model, the latencies of successful probes from the given regions whose '
  'scheduled_at is in any of the ranges: what the hourly latency baselines are made of.';

revoke all on function public.baseline_latencies from public, anon, authenticated;
grant execute on function public.baseline_latencies to service_role;
