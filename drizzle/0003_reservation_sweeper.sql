ALTER TABLE "ledger_entries" ADD COLUMN "settled_by" text;--> statement-breakpoint
CREATE INDEX "ledger_entries_reserved_created_at_idx" ON "ledger_entries" USING btree ("created_at") WHERE "ledger_entries"."state" = 'reserved';--> statement-breakpoint
-- Hand-written (drizzle-kit cannot generate functions): reservations that are never settled. A
-- per-call reservation (decision 0005) stays `reserved`, and its counters charged, when its instance
-- dies before settling it or settling fails for longer than the instance retries. Each instance
-- sweeps them periodically with gantry_sweep, N instances at once.
--
-- Lock order, as in gantry_settle: an entry's row first, then counter rows in (scope, window_start)
-- order. The sweeper never waits for an entry row (SKIP LOCKED: another sweeper, or the call's own
-- settlement, has it), and nobody holding a counter row waits for an entry row, so sweeping never
-- deadlocks with gantry_reserve, gantry_settle, gantry_lease / gantry_lease_sync or another sweeper.
--
-- gantry_sweep closes up to p_limit reservations made before p_before (their expiry) that are still
-- `reserved`, oldest first, each exactly once: settled at the usage its call's `llm` span recorded
-- (the span shares the entry's id) when there is one, else released, and marked
-- `settled_by = 'sweeper'`. Counters are given back exactly as gantry_settle would: the
-- reservation leaves `reserved_micros` and `tokens`; the recorded cost and tokens are added.
CREATE OR REPLACE FUNCTION gantry_sweep(p_before timestamptz, p_at timestamptz, p_limit integer) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  v_closed jsonb;
  c record;
BEGIN
  WITH claimed AS MATERIALIZED (
    SELECT id FROM ledger_entries
      WHERE state = 'reserved' AND created_at < p_before
      ORDER BY created_at LIMIT p_limit
      FOR UPDATE SKIP LOCKED
  ), recorded AS (
    -- What the call itself would have settled at: a span with usage is settled, one without
    -- (the call failed, or a middleware answered) released, as settleCall decides.
    SELECT s.id, s.cost_micros, s.input_tokens::bigint + s.output_tokens AS tokens
      FROM claimed JOIN spans s ON s.id = claimed.id AND s.kind = 'llm'
      WHERE s.cost_micros > 0 OR s.input_tokens > 0 OR s.output_tokens > 0
  ), closed AS (
    UPDATE ledger_entries e
      SET state = CASE WHEN r.id IS NULL THEN 'released' ELSE 'settled' END,
          settled_micros = coalesce(r.cost_micros, 0), settled_tokens = coalesce(r.tokens, 0),
          settled_at = p_at, settled_by = 'sweeper'
      FROM claimed LEFT JOIN recorded r ON r.id = claimed.id
      WHERE e.id = claimed.id
      RETURNING e.id, e.state, e.scopes, e.reserved_micros, e.reserved_tokens, e.settled_micros, e.settled_tokens
  )
  SELECT coalesce(jsonb_agg(to_jsonb(closed)), '[]'::jsonb) INTO v_closed FROM closed;

  FOR c IN
    SELECT s.value->>'scope' AS scope, (s.value->>'window')::timestamptz AS window_start,
        sum((x.value->>'reserved_micros')::bigint)::bigint AS reserved_micros, sum((x.value->>'settled_micros')::bigint)::bigint AS settled_micros,
        sum((x.value->>'reserved_tokens')::bigint)::bigint AS reserved_tokens, sum((x.value->>'settled_tokens')::bigint)::bigint AS settled_tokens
      FROM jsonb_array_elements(v_closed) x, jsonb_array_elements(x.value->'scopes') s
      GROUP BY 1, 2 ORDER BY 1, 2
  LOOP
    UPDATE budget_counters
      SET reserved_micros = reserved_micros - c.reserved_micros, spent_micros = spent_micros + c.settled_micros,
          tokens = tokens - c.reserved_tokens + c.settled_tokens
      WHERE scope = c.scope AND window_start = c.window_start;
  END LOOP;

  RETURN jsonb_build_object(
    'settled', coalesce((SELECT jsonb_agg(x.value->'id') FROM jsonb_array_elements(v_closed) x WHERE x.value->>'state' = 'settled'), '[]'::jsonb),
    'released', coalesce((SELECT jsonb_agg(x.value->'id') FROM jsonb_array_elements(v_closed) x WHERE x.value->>'state' = 'released'), '[]'::jsonb));
END
$$;
--> statement-breakpoint
-- gantry_settle as in 0000_spine.sql, plus a late settlement: a call that outlived its reservation's
-- expiry (the sweeper released it, finding no span yet) and then finishes is settled after all,
-- marked `settled_by = 'late_call'`. Its reservation was given back by the sweeper, so only what it
-- spent is added. Still idempotent: an entry settled once (by its call or the sweeper) never
-- changes again.
CREATE OR REPLACE FUNCTION gantry_settle(p_id text, p_state text, p_micros bigint, p_tokens bigint, p_at timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  e ledger_entries%ROWTYPE;
  s jsonb;
  v_micros bigint := CASE WHEN p_state = 'settled' THEN p_micros ELSE 0 END;
  v_tokens bigint := CASE WHEN p_state = 'settled' THEN p_tokens ELSE 0 END;
BEGIN
  UPDATE ledger_entries SET state = p_state, settled_micros = v_micros, settled_tokens = v_tokens, settled_at = p_at
    WHERE id = p_id AND state = 'reserved' RETURNING * INTO e;
  IF FOUND THEN
    FOR s IN SELECT value FROM jsonb_array_elements(e.scopes) ORDER BY value->>'scope', (value->>'window')::timestamptz LOOP
      UPDATE budget_counters
        SET reserved_micros = reserved_micros - e.reserved_micros, spent_micros = spent_micros + v_micros,
            tokens = tokens - e.reserved_tokens + v_tokens
        WHERE scope = s->>'scope' AND window_start = (s->>'window')::timestamptz;
    END LOOP;
    RETURN true;
  END IF;
  IF p_state <> 'settled' THEN
    RETURN false;
  END IF;
  UPDATE ledger_entries SET state = 'settled', settled_micros = v_micros, settled_tokens = v_tokens, settled_at = p_at, settled_by = 'late_call'
    WHERE id = p_id AND state = 'released' AND settled_by = 'sweeper' RETURNING * INTO e;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  FOR s IN SELECT value FROM jsonb_array_elements(e.scopes) ORDER BY value->>'scope', (value->>'window')::timestamptz LOOP
    UPDATE budget_counters SET spent_micros = spent_micros + v_micros, tokens = tokens + v_tokens
      WHERE scope = s->>'scope' AND window_start = (s->>'window')::timestamptz;
  END LOOP;
  RETURN true;
END
$$;
