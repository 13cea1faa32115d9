ALTER TABLE "ledger_entries" ADD COLUMN "saved_micros" bigint;--> statement-breakpoint
-- Hand-written (drizzle-kit cannot generate functions): gantry_settle as in
-- 0003_reservation_sweeper.sql, plus p_saved, what a call answered without a provider (a
-- response-cache hit) saved; it goes into the entry's saved_micros when the call settles, so that
-- spend reports the savings. Null (the default: callers passing five arguments, e.g. an instance
-- not yet upgraded, keep working) leaves saved_micros null. A released entry saved nothing. The
-- five-argument function is dropped first: beside a six-argument one with a default, a
-- five-argument call would be ambiguous.
DROP FUNCTION IF EXISTS gantry_settle(text, text, bigint, bigint, timestamptz);--> statement-breakpoint
CREATE OR REPLACE FUNCTION gantry_settle(p_id text, p_state text, p_micros bigint, p_tokens bigint, p_at timestamptz, p_saved bigint DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  e ledger_entries%ROWTYPE;
  s jsonb;
  v_micros bigint := CASE WHEN p_state = 'settled' THEN p_micros ELSE 0 END;
  v_tokens bigint := CASE WHEN p_state = 'settled' THEN p_tokens ELSE 0 END;
  v_saved bigint := CASE WHEN p_state = 'settled' THEN p_saved END;
BEGIN
  UPDATE ledger_entries SET state = p_state, settled_micros = v_micros, settled_tokens = v_tokens, settled_at = p_at, saved_micros = v_saved
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
  UPDATE ledger_entries SET state = 'settled', settled_micros = v_micros, settled_tokens = v_tokens, settled_at = p_at, settled_by = 'late_call', saved_micros = v_saved
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
