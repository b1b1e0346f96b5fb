-- The deliveries a run may send: pending ones with no earlier delivery of the same alert to
-- the same channel still pending. A channel that refused an alert's opening for a while must
-- not get its resolution first and be left showing an incident that is over; the later
-- delivery waits until the earlier one is sent or given up. The Worker reads it as
-- GET /rest/v1/alert_deliveries_due, with the time filter and the order of its own.
create or replace view public.alert_deliveries_due
with (security_invoker = true)
as
  select d.*
  from public.alert_deliveries d
  where d.status = 'pending'
    and not exists (
      select 1 from public.alert_deliveries e
      where e.alert_id = d.alert_id and e.channel = d.channel and e.status = 'pending'
        and e.id < d.id);

comment on view public.alert_deliveries_due is
  'Pending deliveries whose alert has no earlier pending delivery to the same channel: sent in '
  'the order they were queued, per alert and channel.';

revoke all on table public.alert_deliveries_due from anon, authenticated;
grant select on table public.alert_deliveries_due to service_role;
