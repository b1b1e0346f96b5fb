-- D1 bills every index entry an insert adds as one more row written, and its Free plan stops
-- taking writes for the rest of the UTC day after 100 000 rows. These three indexes serve
-- Postgres' Grafana panels and trend maintenance, which D1 has no part in: every query the
-- Worker runs on D1 walks the unique key on scheduled_at. Without them a probe costs two rows
-- written (the row and its key entry) whatever its outcome, not four, or five for a failure,
-- so a day on which every target probes every minute from every region still fits.
-- Postgres keeps all three.

drop index if exists llm_checks_ts_idx;
drop index if exists llm_checks_provider_model_ts_idx;
drop index if exists llm_checks_failed_scheduled_at_idx;
