-- Synthetic llm_checks rows for every due probe of every target and region in [$2, $3), made
-- inside the server in one statement. Parameters:
--   $1 targets: [{provider, model, cadence_min, timeout_ms, base_ms}]
--   $2, $3 the first and the last-plus-one minute
--   $4 regions: [{region, factor, colo}]
--   $5 incidents: [{provider, model|null, region|null, start, end, error_rate, error_type,
--                   latency_factor}]
-- Every random draw comes from a hash of the probe's key, so the same arguments give the same
-- rows whatever plan the server picks. Two steps are materialized: inlined, each later mention
-- of a drawn value would compute it again.
with targets as (
  select t.*, abs(hashtext(t.provider || '/' || t.model)) % t.cadence_min as phase
  from json_to_recordset($1::json)
    as t(provider text, model text, cadence_min integer, timeout_ms integer, base_ms float8)
),
regions as (
  select * from json_to_recordset($4::json) as r(region text, factor float8, colo text)
),
incidents as materialized (
  select * from json_to_recordset($5::json) as i(
    provider text, model text, region text, start timestamptz, "end" timestamptz,
    error_rate float8, error_type text, latency_factor float8
  )
),
slots as (
  select m as scheduled_at, t.provider, t.model, t.timeout_ms, t.base_ms, r.region, r.factor,
    r.colo, t.provider || '/' || t.model || '@' || r.region || extract(epoch from m)::bigint as k
  from generate_series($2::timestamptz, $3::timestamptz - interval '1 minute', interval '1 minute')
    as m
  cross join targets t
  cross join regions r
  where (extract(epoch from m)::bigint / 60 + t.phase) % t.cadence_min = 0
),
draws as materialized (
  select s.*,
    ((hashtextextended(k, 1) & 4294967295)::float8 + 0.5) / 4294967296 as u1,
    ((hashtextextended(k, 2) & 4294967295)::float8 + 0.5) / 4294967296 as u2,
    ((hashtextextended(k, 3) & 4294967295)::float8 + 0.5) / 4294967296 as u3,
    ((hashtextextended(k, 4) & 4294967295)::float8 + 0.5) / 4294967296 as u4,
    lpad(to_hex(hashtextextended(k, 5)), 16, '0') || lpad(to_hex(hashtextextended(k, 6)), 16, '0')
      as h,
    coalesce(i.error_rate, 0) as incident_rate, i.error_type as incident_type,
    coalesce(i.latency_factor, 1) as incident_factor
  from slots s
  left join lateral (
    select * from incidents i
    where i.provider = s.provider
      and (i.model is null or i.model = s.model)
      and (i.region is null or i.region = s.region)
      and s.scheduled_at >= i.start and s.scheduled_at < i."end"
    limit 1
  ) i on true
),
-- A log-normal body around the target's median, slower by day in the US afternoon, with one
-- probe in seventy far out in the tail.
shaped as (
  select d.*,
    d.base_ms * d.factor * d.incident_factor
      * (1 + 0.12 * sin(2 * pi() * (extract(hour from d.scheduled_at at time zone 'UTC') - 14)
        / 24))
      * exp(0.22 * sqrt(-2 * ln(d.u3)) * cos(2 * pi() * d.u4))
      * case when d.u2 > 0.986 then 1.8 + 2.5 * d.u3 else 1 end as body_ms,
    case
      when d.u1 < d.incident_rate then d.incident_type
      when d.u1 < d.incident_rate + 0.006 then (array[
        'overloaded', 'overloaded', 'server_error', 'gateway_error', 'timeout', 'rate_limited',
        'rate_limited', 'connect_error', 'bad_body', 'server_error'
      ])[1 + floor(d.u4 * 10)::integer]
    end as drawn_error
  from draws d
),
outcome as materialized (
  select s.*,
    case
      when s.drawn_error is not null then s.drawn_error
      when s.body_ms > s.timeout_ms then 'timeout'
    end as error_type
  from shaped s
)
insert into public.llm_checks (
  scheduled_at, ts, region, colo, provider, model, ok, http_status, error_type, attribution,
  latency_ms, ttfb_ms, tokens_in, tokens_out, request_id, detail
)
select
  o.scheduled_at,
  o.scheduled_at + floor(40 + o.u4 * 900) * interval '1 millisecond',
  o.region,
  o.colo,
  o.provider,
  o.model,
  o.error_type is null,
  case o.error_type
    when 'overloaded' then case o.provider when 'anthropic' then 529 else 503 end
    when 'server_error' then 500
    when 'gateway_error' then 502
    when 'rate_limited' then 429
    when 'bad_body' then 200
    when 'auth' then 401
    when 'quota' then 429
    when 'model_not_found' then 404
    when 'probe_config' then 400
    when 'edge_blocked' then 403
    when 'timeout' then null
    when 'connect_error' then null
    when 'dns_error' then null
    else 200
  end,
  o.error_type,
  case
    when o.error_type in ('overloaded', 'server_error', 'gateway_error', 'timeout', 'bad_body')
      then 'provider'
    when o.error_type in ('connect_error', 'dns_error', 'edge_blocked') then 'network'
    when o.error_type in ('auth', 'quota', 'model_not_found', 'probe_config') then 'ours'
    when o.error_type = 'rate_limited' then 'ambiguous'
  end,
  case
    when o.error_type is null then round(o.body_ms)
    when o.error_type = 'timeout' then o.timeout_ms + floor(o.u2 * 15)
    when o.error_type in ('connect_error', 'dns_error') then floor(20 + o.u2 * 300)
    else round(o.body_ms * (0.15 + 0.4 * o.u2))
  end::integer,
  case
    when o.error_type is null then round(o.body_ms * (0.86 + 0.1 * o.u2))
    when o.error_type in ('timeout', 'connect_error', 'dns_error') then null
    else round(o.body_ms * (0.15 + 0.4 * o.u2))
  end::integer,
  case when o.error_type is null then 7 + floor(o.u3 * 5)::integer end,
  case when o.error_type is null then 1 end,
  case
    when o.error_type in ('timeout', 'connect_error', 'dns_error') then null
    when o.provider = 'openai' then 'req_' || substr(o.h, 1, 32)
    when o.provider = 'anthropic' then 'req_011C' || upper(substr(o.h, 3, 20))
    when o.provider in ('mistral', 'xai') then
      substr(o.h, 1, 8) || '-' || substr(o.h, 9, 4) || '-' || substr(o.h, 13, 4) || '-'
        || substr(o.h, 17, 4) || '-' || substr(o.h, 21, 12)
    when o.provider = 'cohere' then substr(o.h, 5, 32)
  end,
  case o.error_type
    when 'overloaded' then 'overloaded: the model is at capacity, try again later'
    when 'server_error' then 'server_error: the server had an error processing the request'
    when 'gateway_error' then 'HTML 502 Bad Gateway from the CDN'
    when 'timeout' then 'no response headers within ' || o.timeout_ms || ' ms'
    when 'rate_limited' then 'rate_limit_exceeded: requests per minute for this key'
    when 'connect_error' then 'fetch failed: connection reset'
    when 'bad_body' then '200 body cut off: unexpected end of JSON input'
    when 'auth' then 'invalid_api_key: the API key provided is invalid'
  end
from outcome o
-- In key order, each index grows at its right edge instead of all over.
order by o.scheduled_at, o.region, o.provider, o.model
on conflict (scheduled_at, region, provider, model) do nothing
