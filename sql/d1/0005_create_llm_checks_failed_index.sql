-- As in sql/postgres/20261203040000_create_llm_checks_hourly.sql: failed probes, a percent or
-- two of the rows, are listed by time without reading the others. Same index name. 0006 drops
-- it again: on D1 its entries cost more in rows written than it saves in rows read.

create index if not exists llm_checks_failed_scheduled_at_idx
  on llm_checks (scheduled_at) where ok = 0;
