-- Runs public.maintain_trends at minute 7 of every hour with pg_cron, where the database has it:
-- Supabase ships pg_cron (Integrations > Cron), and a plain PostgreSQL has it once
-- postgresql-15-cron is installed and loaded (shared_preload_libraries = 'pg_cron' and
-- cron.database_name naming this database). Where pg_cron cannot be created, this does nothing
-- but say so, and the Worker triggers the same function through POST /rest/v1/rpc/maintain_trends.
-- Applies after 20261203040000_create_llm_checks_hourly.sql, and applies twice: the job is
-- scheduled by name, so applying again updates it.

do $$
begin
  if not exists (select from pg_extension where extname = 'pg_cron') then
    begin
      create extension pg_cron with schema pg_catalog;
    exception when others then
      raise notice 'pg_cron is not available here (%); the Worker runs trend maintenance', sqlerrm;
      return;
    end;
  end if;
  -- As Supabase's own instructions for enabling pg_cron do; a no-op where the role owns it.
  if exists (select from pg_roles where rolname = 'postgres') then
    grant usage on schema cron to postgres;
    grant all privileges on all tables in schema cron to postgres;
  end if;
  perform cron.schedule('heyhi-maintain-trends', '7 * * * *', 'select public.maintain_trends()');
end
$$;
