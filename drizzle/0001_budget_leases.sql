CREATE TABLE "budget_leases" (
	"scope" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"instance_id" text NOT NULL,
	"held_micros" bigint DEFAULT 0 NOT NULL,
	"held_calls" integer DEFAULT 0 NOT NULL,
	"held_tokens" bigint DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "budget_leases_pkey" PRIMARY KEY("scope","window_start","instance_id")
);
--> statement-breakpoint
-- Hand-written (drizzle-kit cannot generate functions): budget leases, see
-- docs/decisions/0006-budget-leases.md. Like gantry_reserve / gantry_settle, each function is one
-- statement (one round trip, one transaction) and locks counter rows in (scope, window_start)
-- order, so they never deadlock with each other or with per-call reservations.
--
-- gantry_lease takes headroom from counters for one instance: for each counter, at least `need`
-- (what the call waiting on it lacks) or the call is refused exactly as gantry_reserve would refuse
-- it, plus up to `want` more but never more than a quarter of what is left beyond `need`, so
-- instances sharing a counter cannot starve each other and a counter near its limit is handed out
-- one call at a time. Holds of instances whose lease expired (presumed gone) are taken back first.
CREATE OR REPLACE FUNCTION gantry_lease(p_instance text, p_created_at timestamptz, p_ttl_ms bigint, p_wants jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  c jsonb;
  r budget_counters%ROWTYPE;
  l budget_leases%ROWTYPE;
  v_window timestamptz;
  v_left bigint;
  v_need bigint;
  v_gm bigint;
  v_gc bigint;
  v_gt bigint;
  v_grants jsonb := '[]'::jsonb;
  v_leases jsonb := '[]'::jsonb;
  g jsonb;
BEGIN
  FOR c IN SELECT value FROM jsonb_array_elements(p_wants) ORDER BY value->>'scope', (value->>'window')::timestamptz LOOP
    v_window := (c->>'window')::timestamptz;
    INSERT INTO budget_counters (scope, window_start, created_at) VALUES (c->>'scope', v_window, p_created_at) ON CONFLICT DO NOTHING;
    SELECT * INTO r FROM budget_counters WHERE scope = c->>'scope' AND window_start = v_window FOR UPDATE;
    FOR l IN DELETE FROM budget_leases WHERE scope = r.scope AND window_start = v_window AND expires_at < now() RETURNING * LOOP
      r.reserved_micros := r.reserved_micros - l.held_micros;
      r.calls := r.calls - l.held_calls;
      r.tokens := r.tokens - l.held_tokens;
      UPDATE budget_counters SET reserved_micros = r.reserved_micros, calls = r.calls, tokens = r.tokens WHERE scope = r.scope AND window_start = v_window;
    END LOOP;
    v_gm := 0; v_gc := 0; v_gt := 0;
    IF c->>'limit_micros' IS NOT NULL THEN
      v_left := (c->>'limit_micros')::bigint - r.spent_micros - r.reserved_micros;
      v_need := (c->>'need_micros')::bigint;
      IF v_left < v_need THEN
        RETURN jsonb_build_object('ok', false, 'reason', 'cost', 'scope', r.scope, 'window', v_window, 'spent', r.spent_micros,
          'reserved', r.reserved_micros - (c->>'own_micros')::bigint, 'needed', (c->>'call_micros')::bigint, 'limit', (c->>'limit_micros')::bigint);
      END IF;
      v_gm := v_need + least((c->>'want_micros')::bigint, greatest(0, (v_left - v_need) / 4));
    END IF;
    IF c->>'limit_calls' IS NOT NULL THEN
      v_left := (c->>'limit_calls')::bigint - r.calls;
      v_need := (c->>'need_calls')::bigint;
      IF v_left < v_need THEN
        RETURN jsonb_build_object('ok', false, 'reason', 'calls', 'scope', r.scope, 'window', v_window,
          'spent', r.calls - (c->>'own_calls')::bigint, 'limit', (c->>'limit_calls')::bigint);
      END IF;
      v_gc := v_need + least((c->>'want_calls')::bigint, greatest(0, (v_left - v_need) / 4));
    END IF;
    IF c->>'limit_tokens' IS NOT NULL THEN
      v_left := (c->>'limit_tokens')::bigint - r.tokens;
      v_need := (c->>'need_tokens')::bigint;
      IF v_left < v_need THEN
        RETURN jsonb_build_object('ok', false, 'reason', 'tokens', 'scope', r.scope, 'window', v_window,
          'spent', r.tokens - (c->>'own_tokens')::bigint, 'needed', (c->>'call_tokens')::bigint, 'limit', (c->>'limit_tokens')::bigint);
      END IF;
      v_gt := v_need + least((c->>'want_tokens')::bigint, greatest(0, (v_left - v_need) / 4));
    END IF;
    v_grants := v_grants || jsonb_build_array(jsonb_build_object('scope', r.scope, 'window', v_window, 'm', v_gm, 'c', v_gc, 't', v_gt));
  END LOOP;

  -- Every counter can give what is needed: only now does any of them change.
  FOR g IN SELECT value FROM jsonb_array_elements(v_grants) LOOP
    v_window := (g->>'window')::timestamptz;
    IF (g->>'m')::bigint = 0 AND (g->>'c')::bigint = 0 AND (g->>'t')::bigint = 0 THEN
      -- Nothing given (a refill ahead of need with nothing left): no row for an empty hold.
      SELECT * INTO l FROM budget_leases WHERE scope = g->>'scope' AND window_start = v_window AND instance_id = p_instance;
      v_leases := v_leases || jsonb_build_array(jsonb_build_object('scope', g->>'scope', 'window', v_window,
        'held_micros', coalesce(l.held_micros, 0), 'held_calls', coalesce(l.held_calls, 0), 'held_tokens', coalesce(l.held_tokens, 0)));
      CONTINUE;
    END IF;
    UPDATE budget_counters SET reserved_micros = reserved_micros + (g->>'m')::bigint, calls = calls + (g->>'c')::bigint,
        tokens = tokens + (g->>'t')::bigint
      WHERE scope = g->>'scope' AND window_start = v_window;
    INSERT INTO budget_leases (scope, window_start, instance_id, held_micros, held_calls, held_tokens, expires_at)
      VALUES (g->>'scope', v_window, p_instance, (g->>'m')::bigint, (g->>'c')::bigint, (g->>'t')::bigint, now() + p_ttl_ms * interval '1 millisecond')
      ON CONFLICT (scope, window_start, instance_id) DO UPDATE SET held_micros = budget_leases.held_micros + excluded.held_micros,
        held_calls = budget_leases.held_calls + excluded.held_calls, held_tokens = budget_leases.held_tokens + excluded.held_tokens,
        expires_at = excluded.expires_at
      RETURNING * INTO l;
    v_leases := v_leases || jsonb_build_array(jsonb_build_object('scope', l.scope, 'window', l.window_start,
      'held_micros', l.held_micros, 'held_calls', l.held_calls, 'held_tokens', l.held_tokens));
  END LOOP;
  RETURN jsonb_build_object('ok', true, 'leases', v_leases);
END
$$;
--> statement-breakpoint
-- gantry_lease_sync reports what an instance's calls used of its leases and writes those calls'
-- ledger entries, in one transaction: spend moves from the lease's hold to the counter's settled
-- total (a call that used more than it reserved adds the excess on top), and each lease is then
-- trimmed down to `keep` (what calls still in flight hold) when asked, or kept and extended. A lease
-- taken back in the meantime (expired) holds nothing: what was used is still counted in full.
CREATE OR REPLACE FUNCTION gantry_lease_sync(p_instance text, p_created_at timestamptz, p_ttl_ms bigint, p_syncs jsonb, p_entries json) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  c jsonb;
  l budget_leases%ROWTYPE;
  v_window timestamptz;
  v_found boolean;
  v_hm bigint; v_hc bigint; v_ht bigint;
  v_mm bigint; v_mc bigint; v_mt bigint;
  v_rm bigint := 0; v_rc bigint := 0; v_rt bigint := 0;
  v_leases jsonb := '[]'::jsonb;
BEGIN
  FOR c IN SELECT value FROM jsonb_array_elements(p_syncs) ORDER BY value->>'scope', (value->>'window')::timestamptz LOOP
    v_window := (c->>'window')::timestamptz;
    INSERT INTO budget_counters (scope, window_start, created_at) VALUES (c->>'scope', v_window, p_created_at) ON CONFLICT DO NOTHING;
    PERFORM 1 FROM budget_counters WHERE scope = c->>'scope' AND window_start = v_window FOR UPDATE;
    SELECT * INTO l FROM budget_leases WHERE scope = c->>'scope' AND window_start = v_window AND instance_id = p_instance FOR UPDATE;
    v_found := FOUND;
    v_hm := CASE WHEN v_found THEN l.held_micros ELSE 0 END;
    v_hc := CASE WHEN v_found THEN l.held_calls ELSE 0 END;
    v_ht := CASE WHEN v_found THEN l.held_tokens ELSE 0 END;
    v_mm := least((c->>'used_micros')::bigint, v_hm); v_hm := v_hm - v_mm;
    v_mc := least((c->>'used_calls')::bigint, v_hc); v_hc := v_hc - v_mc;
    v_mt := least((c->>'used_tokens')::bigint, v_ht); v_ht := v_ht - v_mt;
    v_rm := 0; v_rc := 0; v_rt := 0;
    IF (c->>'trim')::boolean THEN
      v_rm := greatest(0, v_hm - (c->>'keep_micros')::bigint); v_hm := v_hm - v_rm;
      v_rc := greatest(0, v_hc - (c->>'keep_calls')::bigint); v_hc := v_hc - v_rc;
      v_rt := greatest(0, v_ht - (c->>'keep_tokens')::bigint); v_ht := v_ht - v_rt;
    END IF;
    UPDATE budget_counters
      SET spent_micros = spent_micros + (c->>'used_micros')::bigint, reserved_micros = reserved_micros - v_mm - v_rm,
          calls = calls + (c->>'used_calls')::bigint - v_mc - v_rc, tokens = tokens + (c->>'used_tokens')::bigint - v_mt - v_rt
      WHERE scope = c->>'scope' AND window_start = v_window;
    IF v_found THEN
      IF v_hm = 0 AND v_hc = 0 AND v_ht = 0 THEN
        DELETE FROM budget_leases WHERE scope = l.scope AND window_start = v_window AND instance_id = p_instance;
      ELSE
        UPDATE budget_leases SET held_micros = v_hm, held_calls = v_hc, held_tokens = v_ht, expires_at = now() + p_ttl_ms * interval '1 millisecond'
          WHERE scope = l.scope AND window_start = v_window AND instance_id = p_instance;
      END IF;
    END IF;
    v_leases := v_leases || jsonb_build_array(jsonb_build_object('scope', c->>'scope', 'window', v_window,
      'held_micros', v_hm, 'held_calls', v_hc, 'held_tokens', v_ht));
  END LOOP;
  INSERT INTO ledger_entries SELECT * FROM json_populate_recordset(NULL::ledger_entries, p_entries) ON CONFLICT DO NOTHING;
  RETURN jsonb_build_object('ok', true, 'leases', v_leases);
END
$$;
