-- The 30-day trend: one row per target, region and hour, with latency kept as counts per
-- bucket so that percentiles over any range merge to bucket precision (a percentile of
-- percentiles would be wrong). public.maintain_trends rolls recent hours up and deletes raw
-- probes past their retention; it runs from pg_cron where the database has it
-- (20261203060000_schedule_trends_maintenance.sql), else the Worker calls it as
-- POST /rest/v1/rpc/maintain_trends. Applies after 20261203000000_create_llm_checks.sql, to a
-- fresh Supabase project and to plain PostgreSQL 15 alike, and applies twice.

-- Buckets grow by 5 %: bucket 0 holds 0 ms, bucket b >= 1 holds [1.05^(b-1), 1.05^b) ms, and
-- its geometric middle is within 2.5 % of every latency in it. Bucket 310 (about 59 minutes
-- and more) takes everything longer. These are plain SQL without a SET clause so that the
-- planner inlines them into the rollup's scan of every probe.
create or replace function public.latency_bucket(latency_ms integer)
returns smallint
language sql
immutable
parallel safe
as $$
  select case
    when latency_ms < 1 then 0::smallint
    else least(
      1 + pg_catalog.floor(pg_catalog.ln(latency_ms::float8) / pg_catalog.ln(1.05::float8)),
      310
    )::smallint
  end
$$;

comment on function public.latency_bucket(integer) is
  'The latency bucket of a duration in ms: 0 for 0 ms, b >= 1 for [1.05^(b-1), 1.05^b), '
  '310 at most.';

create or replace function public.latency_bucket_ms(bucket smallint)
returns double precision
language sql
immutable
parallel safe
as $$
  select case when bucket < 1 then 0::float8 else pg_catalog.power(1.05::float8, bucket - 0.5) end
$$;

comment on function public.latency_bucket_ms(smallint) is
  'The latency in ms a bucket stands for: its geometric middle, within 2.5 % of any value in it.';

-- The rollup's latency arrays hold only the buckets that occur, a dozen or so of the 311 in an
-- hour, and public.latency_histogram adds them into an array subscripted by bucket that spans
-- only the buckets seen. Kept that small on purpose: PL/pgSQL copies the state on every call.

-- The histogram, or a new empty one, spanning at least buckets lo to hi, with zeros where new.
create or replace function public.latency_histogram_widen(
  histogram bigint[], lo integer, hi integer
) returns bigint[]
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  low integer := pg_catalog.array_lower(histogram, 1);
  high integer := pg_catalog.array_upper(histogram, 1);
begin
  if histogram is null then
    return pg_catalog.array_fill(0::bigint, array[hi - lo + 1], array[lo]);
  end if;
  if lo < low then
    histogram := pg_catalog.array_fill(0::bigint, array[low - lo], array[lo]) || histogram;
  end if;
  if hi > high then
    histogram := histogram || pg_catalog.array_fill(0::bigint, array[hi - high]);
  end if;
  return histogram;
end
$$;

create or replace function public.latency_histogram_add(
  histogram bigint[], buckets smallint[], counts integer[]
) returns bigint[]
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  n integer := coalesce(pg_catalog.array_length(buckets, 1), 0);
  i integer;
begin
  if n = 0 then
    return histogram;
  end if;
  -- The buckets come ascending from the rollup: the first and last bound the row.
  if histogram is null or buckets[1] < pg_catalog.array_lower(histogram, 1)
    or buckets[n] > pg_catalog.array_upper(histogram, 1) then
    histogram := public.latency_histogram_widen(histogram, buckets[1], buckets[n]);
  end if;
  for i in 1 .. n loop
    histogram[buckets[i]] := histogram[buckets[i]] + counts[i];
  end loop;
  return histogram;
end
$$;

create or replace function public.latency_histogram_merge(a bigint[], b bigint[])
returns bigint[]
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  i integer;
begin
  if a is null or b is null then
    return coalesce(a, b);
  end if;
  a := public.latency_histogram_widen(
    a, pg_catalog.array_lower(b, 1), pg_catalog.array_upper(b, 1)
  );
  for i in pg_catalog.array_lower(b, 1) .. pg_catalog.array_upper(b, 1) loop
    a[i] := a[i] + b[i];
  end loop;
  return a;
end
$$;

create or replace aggregate public.latency_histogram(smallint[], integer[]) (
  sfunc = public.latency_histogram_add,
  stype = bigint[],
  combinefunc = public.latency_histogram_merge,
  parallel = safe
);

comment on aggregate public.latency_histogram(smallint[], integer[]) is
  'Merges rollup rows'' latency_buckets and latency_counts into one histogram, subscripted by '
  'bucket, for public.latency_quantile.';

-- Nearest rank, as percentile_disc: the bucket holding the ceil(q * n)-th smallest latency.
create or replace function public.latency_quantile(histogram bigint[], q double precision)
returns double precision
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  total bigint := 0;
  seen bigint := 0;
  wanted bigint;
  c bigint;
  b integer;
begin
  if histogram is null or q is null or q < 0 or q > 1 then
    return null;
  end if;
  foreach c in array histogram loop
    total := total + c;
  end loop;
  if total = 0 then
    return null;
  end if;
  wanted := greatest(1, pg_catalog.ceil(q * total)::bigint);
  b := pg_catalog.array_lower(histogram, 1);
  foreach c in array histogram loop
    seen := seen + c;
    if seen >= wanted then
      return public.latency_bucket_ms(b::smallint);
    end if;
    b := b + 1;
  end loop;
  return null;
end
$$;

comment on function public.latency_quantile(bigint[], double precision) is
  'The q-quantile (0..1, nearest rank) in ms of a histogram from public.latency_histogram; null '
  'when it is empty.';

create or replace function public.latency_counts_total(counts integer[])
returns bigint
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.sum(c), 0)::bigint from pg_catalog.unnest(counts) as c
$$;

create table if not exists public.llm_checks_hourly (
  hour timestamptz not null,
  provider text not null,
  model text not null,
  region text not null,
  probes integer not null,
  failures integer not null,
  error_counts jsonb not null default '{}',
  latency_buckets smallint[] not null default '{}',
  latency_counts integer[] not null default '{}',

  constraint llm_checks_hourly_pkey primary key (hour, provider, model, region),
  constraint llm_checks_hourly_hour_check
    check (date_bin('1 hour', hour, timestamptz '2000-01-01 00:00:00+00') = hour),
  constraint llm_checks_hourly_failures_check check (failures between 0 and probes),
  constraint llm_checks_hourly_error_counts_check check (jsonb_typeof(error_counts) = 'object'),
  constraint llm_checks_hourly_latency_check check (
    cardinality(latency_buckets) = cardinality(latency_counts)
    and public.latency_counts_total(latency_counts) = probes - failures
  )
);

comment on table public.llm_checks_hourly is
  'The hourly rollup of llm_checks per target and region, kept far longer than the raw probes.';
comment on column public.llm_checks_hourly.hour is
  'Start of the UTC hour, from the probes'' scheduled_at.';
comment on column public.llm_checks_hourly.failures is 'Probes that were not ok.';
comment on column public.llm_checks_hourly.error_counts is
  'Failed probes per error_type, e.g. {"overloaded": 3, "timeout": 1}.';
comment on column public.llm_checks_hourly.latency_buckets is
  'The latency buckets (public.latency_bucket) that successful probes fell in, ascending.';
comment on column public.llm_checks_hourly.latency_counts is
  'How many successful probes fell in the bucket at the same position of latency_buckets.';

-- One row holds what maintenance is told (retention) and what it did.
create table if not exists public.trend_settings (
  id boolean primary key default true,
  raw_retention_days integer not null default 35,
  rollup_retention_days integer not null default 400,
  rolled_up_through timestamptz,
  maintained_at timestamptz,

  constraint trend_settings_id_check check (id),
  constraint trend_settings_raw_retention_days_check check (raw_retention_days between 2 and 3650),
  constraint trend_settings_rollup_retention_days_check
    check (rollup_retention_days between raw_retention_days and 36500)
);

insert into public.trend_settings (id) values (true) on conflict (id) do nothing;

comment on table public.trend_settings is
  'Retention of the raw probes and of the hourly rollup, and the state of their maintenance.';
comment on column public.trend_settings.raw_retention_days is
  'Days llm_checks rows are kept (hours not yet rolled up are kept regardless).';
comment on column public.trend_settings.rollup_retention_days is
  'Days llm_checks_hourly rows are kept.';
comment on column public.trend_settings.rolled_up_through is
  'End (exclusive) of the hours the last run rolled up; the next run starts 3 hours before it, '
  'so rows written late within that margin still count.';
comment on column public.trend_settings.maintained_at is 'When maintenance last ran.';

-- Rolls up every hour in [from_hour, to_hour) from the raw probes, replacing what was there.
create or replace function public.rollup_llm_checks(from_hour timestamptz, to_hour timestamptz)
returns integer
language sql
volatile
security invoker
set search_path = ''
-- A scan of a few thousand rows an hour: compiling it would cost more than running it.
set jit = off
as $$
  with raw as (
    select
      pg_catalog.date_bin('1 hour', c.scheduled_at, timestamptz '2000-01-01 00:00:00+00') as hour,
      c.provider, c.model, c.region, c.ok, c.error_type,
      case when c.ok then public.latency_bucket(c.latency_ms) end as bucket
    from public.llm_checks c
    where c.scheduled_at >= from_hour and c.scheduled_at < to_hour
  ),
  totals as (
    select hour, provider, model, region, count(*)::integer as probes,
      (count(*) filter (where not ok))::integer as failures
    from raw
    group by hour, provider, model, region
  ),
  latency as (
    select hour, provider, model, region,
      array_agg(bucket order by bucket) as buckets, array_agg(n order by bucket) as counts
    from (
      select hour, provider, model, region, bucket, count(*)::integer as n
      from raw
      where ok
      group by hour, provider, model, region, bucket
    ) per_bucket
    group by hour, provider, model, region
  ),
  errors as (
    select hour, provider, model, region, pg_catalog.jsonb_object_agg(error_type, n) as counts
    from (
      select hour, provider, model, region, error_type, count(*) as n
      from raw
      where not ok
      group by hour, provider, model, region, error_type
    ) per_type
    group by hour, provider, model, region
  ),
  upserted as (
    insert into public.llm_checks_hourly as h (
      hour, provider, model, region, probes, failures, error_counts, latency_buckets,
      latency_counts
    )
    select t.hour, t.provider, t.model, t.region, t.probes, t.failures,
      coalesce(e.counts, '{}'), coalesce(l.buckets, '{}'), coalesce(l.counts, '{}')
    from totals t
    left join latency l using (hour, provider, model, region)
    left join errors e using (hour, provider, model, region)
    on conflict (hour, provider, model, region) do update set
      probes = excluded.probes,
      failures = excluded.failures,
      error_counts = excluded.error_counts,
      latency_buckets = excluded.latency_buckets,
      latency_counts = excluded.latency_counts
    returning 1
  )
  select count(*)::integer from upserted
$$;

comment on function public.rollup_llm_checks(timestamptz, timestamptz) is
  'Recomputes llm_checks_hourly for the hours in [from_hour, to_hour) from llm_checks; answers '
  'how many rollup rows it wrote.';

-- Rolls up the hours since the last run (at most max_hours of them, so a long backlog is worked
-- off over several calls), then deletes raw probes past raw_retention_days that are already
-- rolled up, and rollup rows past rollup_retention_days. Two concurrent calls cannot both run:
-- the second answers {"ran": false}. as_of is never taken later than the database's clock, so
-- a wrong client clock cannot delete recent rows.
create or replace function public.maintain_trends(
  as_of timestamptz default now(), max_hours integer default 168
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  settings public.trend_settings;
  run_at timestamptz := least(coalesce(as_of, pg_catalog.now()), pg_catalog.now());
  epoch constant timestamptz := timestamptz '2000-01-01 00:00:00+00';
  from_hour timestamptz;
  to_hour timestamptz;
  through timestamptz;
  rollup_rows integer := 0;
  raw_cutoff timestamptz;
  raw_deleted bigint := 0;
  rollup_deleted bigint := 0;
begin
  if max_hours is null or max_hours < 1 then
    raise exception 'max_hours must be at least 1, not %', max_hours using errcode = '22023';
  end if;
  if not pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('heyhi.maintain_trends')) then
    return pg_catalog.jsonb_build_object('ran', false, 'reason', 'another run holds the lock');
  end if;

  insert into public.trend_settings (id) values (true) on conflict (id) do nothing;
  select * into settings from public.trend_settings where id for update;

  from_hour := coalesce(
    settings.rolled_up_through - interval '3 hours',
    (select pg_catalog.date_bin('1 hour', min(scheduled_at), epoch) from public.llm_checks)
  );
  to_hour := least(
    pg_catalog.date_bin('1 hour', run_at, epoch) + interval '1 hour',
    from_hour + max_hours * interval '1 hour'
  );
  through := settings.rolled_up_through;
  if from_hour < to_hour then
    rollup_rows := public.rollup_llm_checks(from_hour, to_hour);
    through := greatest(coalesce(through, to_hour), to_hour);
  end if;

  -- Raw rows go only once their hour is rolled up and outside the margin the next run redoes.
  raw_cutoff := least(
    pg_catalog.date_bin('1 hour', run_at - settings.raw_retention_days * interval '1 day', epoch),
    through - interval '3 hours'
  );
  if raw_cutoff is not null then
    delete from public.llm_checks where scheduled_at < raw_cutoff;
    get diagnostics raw_deleted = row_count;
  end if;
  delete from public.llm_checks_hourly
  where hour < run_at - settings.rollup_retention_days * interval '1 day';
  get diagnostics rollup_deleted = row_count;

  update public.trend_settings
  set rolled_up_through = through, maintained_at = pg_catalog.now()
  where id;

  return pg_catalog.jsonb_build_object(
    'ran', true,
    'rolled_up_from', from_hour,
    'rolled_up_to', to_hour,
    'rollup_rows', rollup_rows,
    'raw_deleted', raw_deleted,
    'rollup_deleted', rollup_deleted,
    'caught_up', through is null
      or through >= pg_catalog.date_bin('1 hour', run_at, epoch) + interval '1 hour'
  );
end
$$;

comment on function public.maintain_trends(timestamptz, integer) is
  'Rolls up recent hours of llm_checks into llm_checks_hourly and applies retention; answers '
  'what it did as JSON. Run hourly, by pg_cron or the Worker (POST /rest/v1/rpc/maintain_trends).';

-- The failed-probes panel reads only failures, a percent or two of the rows.
create index if not exists llm_checks_failed_scheduled_at_idx
  on public.llm_checks (scheduled_at) where not ok;

-- As for the other tables: the service role reads and writes, nobody else until the reader
-- role's migration grants it reads; Supabase's default grants to the API roles are taken back.
revoke all on table public.llm_checks_hourly, public.trend_settings from anon, authenticated;
grant select, insert, update, delete on table public.llm_checks_hourly, public.trend_settings
  to service_role;
alter table public.llm_checks_hourly enable row level security;
alter table public.trend_settings enable row level security;

-- Functions are executable by PUBLIC by default, and Supabase grants new ones to the API roles:
-- these are the service role's (the reader role's migration grants it the read-only ones).
do $$
declare
  fn regprocedure;
begin
  foreach fn in array array[
    'public.latency_bucket(integer)',
    'public.latency_bucket_ms(smallint)',
    'public.latency_histogram_widen(bigint[], integer, integer)',
    'public.latency_histogram_add(bigint[], smallint[], integer[])',
    'public.latency_histogram_merge(bigint[], bigint[])',
    'public.latency_histogram(smallint[], integer[])',
    'public.latency_quantile(bigint[], double precision)',
    'public.latency_counts_total(integer[])',
    'public.rollup_llm_checks(timestamptz, timestamptz)',
    'public.maintain_trends(timestamptz, integer)'
  ]::regprocedure[] loop
    execute format('revoke all on function %s from public, anon, authenticated', fn);
    execute format('grant execute on function %s to service_role', fn);
  end loop;
end
$$;
