CREATE TABLE "api_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"team_id" text,
	"allowed_models" jsonb,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "budget_counters" (
	"scope" text NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"spent_micros" bigint DEFAULT 0 NOT NULL,
	"reserved_micros" bigint DEFAULT 0 NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	"tokens" bigint DEFAULT 0 NOT NULL,
	"limit_micros" bigint,
	"limit_calls" integer,
	"limit_tokens" bigint,
	"limit_depth" integer,
	"limit_wall_ms" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budget_counters_pkey" PRIMARY KEY("scope","window_start")
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" text PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"scope_id" text NOT NULL,
	"period" text NOT NULL,
	"limit_micros" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budgets_limit_micros_check" CHECK ("budgets"."limit_micros" >= 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"api_key_id" text,
	"team_id" text,
	"customer_id" text,
	"run_id" text,
	"root_run_id" text,
	"run_name" text,
	"model" text,
	"scopes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"reserved_micros" bigint DEFAULT 0 NOT NULL,
	"settled_micros" bigint DEFAULT 0 NOT NULL,
	"reserved_tokens" bigint DEFAULT 0 NOT NULL,
	"settled_tokens" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"settled_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"external_id" text NOT NULL,
	"team_id" text,
	"name" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_team_id_external_id_key" UNIQUE NULLS NOT DISTINCT("team_id","external_id")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"parent_run_id" text,
	"root_run_id" text NOT NULL,
	"api_key_id" text,
	"team_id" text,
	"depth" integer DEFAULT 0 NOT NULL,
	"name" text,
	"status" text DEFAULT 'running' NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"pinned_targets" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"last_activity_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"input_tokens" bigint DEFAULT 0 NOT NULL,
	"output_tokens" bigint DEFAULT 0 NOT NULL,
	"llm_calls" integer DEFAULT 0 NOT NULL,
	"tool_calls" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "runs_id_length_check" CHECK (char_length("runs"."id") <= 128)
);
--> statement-breakpoint
CREATE TABLE "spans" (
	"id" text PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"parent_span_id" text,
	"kind" text NOT NULL,
	"name" text,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"first_token_at" timestamp with time zone,
	"api_key_id" text,
	"provider" text,
	"model" text,
	"upstream_model" text,
	"tool_call_id" text,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"cached_input_tokens" integer DEFAULT 0 NOT NULL,
	"reasoning_tokens" integer DEFAULT 0 NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"http_status" integer,
	"error" jsonb,
	"request" json,
	"result" json,
	"raw" json,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "teams" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"limits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_secret_hash_idx" ON "api_keys" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "api_keys_prefix_idx" ON "api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE INDEX "budgets_scope_scope_id_idx" ON "budgets" USING btree ("scope","scope_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_created_at_idx" ON "ledger_entries" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "ledger_entries_api_key_id_state_idx" ON "ledger_entries" USING btree ("api_key_id","state");--> statement-breakpoint
CREATE INDEX "ledger_entries_root_run_id_idx" ON "ledger_entries" USING btree ("root_run_id");--> statement-breakpoint
CREATE INDEX "runs_root_run_id_idx" ON "runs" USING btree ("root_run_id");--> statement-breakpoint
CREATE INDEX "runs_parent_run_id_idx" ON "runs" USING btree ("parent_run_id");--> statement-breakpoint
CREATE INDEX "runs_api_key_id_started_at_idx" ON "runs" USING btree ("api_key_id","started_at");--> statement-breakpoint
CREATE INDEX "runs_started_at_idx" ON "runs" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "runs_status_last_activity_at_idx" ON "runs" USING btree ("status","last_activity_at");--> statement-breakpoint
CREATE INDEX "spans_run_id_started_at_idx" ON "spans" USING btree ("run_id","started_at");--> statement-breakpoint
CREATE INDEX "spans_started_at_idx" ON "spans" USING btree ("started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "teams_name_idx" ON "teams" USING btree ("name");
--> statement-breakpoint
-- Hand-written, appended to the generated spine: drizzle-kit cannot generate functions. When
-- regenerating this migration, append this block again (see docs/decisions/0005-atomic-budget-ledger.md).
-- The budget ledger's two atomic operations (see docs/decisions/0005-atomic-budget-ledger.md).
-- Each is one statement, so one round trip and one transaction. Counter rows are locked in
-- (scope, window_start) order by both functions, so concurrent calls never deadlock, and every
-- limit is checked against the locked, current row: instances sharing a database cannot together
-- pass a limit.
CREATE OR REPLACE FUNCTION gantry_reserve(p_entry jsonb, p_checks jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  c jsonb;
  r budget_counters%ROWTYPE;
  v_at timestamptz := (p_entry->>'at')::timestamptz;
  v_amount bigint := (p_entry->>'amount_micros')::bigint;
  v_tokens bigint := (p_entry->>'tokens')::bigint;
  v_window timestamptz;
  v_stored boolean;
  v_lower bigint;
  v_limit_micros bigint;
  v_limit_calls bigint;
  v_limit_tokens bigint;
  v_limit_depth bigint;
  v_limit_wall bigint;
  v_in_flight bigint;
  v_scopes jsonb := '[]'::jsonb;
BEGIN
  FOR c IN SELECT value FROM jsonb_array_elements(p_checks) ORDER BY value->>'scope', (value->>'window')::timestamptz LOOP
    v_window := (c->>'window')::timestamptz;
    v_stored := coalesce((c->>'stored')::boolean, false);
    INSERT INTO budget_counters (scope, window_start, limit_micros, limit_calls, limit_tokens, limit_depth, limit_wall_ms, created_at)
      VALUES (c->>'scope', v_window,
        CASE WHEN v_stored THEN (c->>'limit_micros')::bigint END, CASE WHEN v_stored THEN (c->>'limit_calls')::integer END,
        CASE WHEN v_stored THEN (c->>'limit_tokens')::bigint END, CASE WHEN v_stored THEN (c->>'limit_depth')::integer END,
        CASE WHEN v_stored THEN (c->>'limit_wall_ms')::bigint END, v_at)
      ON CONFLICT DO NOTHING;
    SELECT * INTO r FROM budget_counters WHERE scope = c->>'scope' AND window_start = v_window FOR UPDATE;
    IF v_stored THEN
      -- An agent may lower its run's limits, never raise them.
      v_lower := (c->>'lower_micros')::bigint;
      IF v_lower IS NOT NULL THEN
        IF r.limit_micros IS NOT NULL AND v_lower > r.limit_micros THEN
          RETURN jsonb_build_object('ok', false, 'reason', 'raise', 'field', 'x-gantry-run-budget-usd', 'scope', r.scope, 'limit', r.limit_micros);
        END IF;
        r.limit_micros := v_lower;
        UPDATE budget_counters SET limit_micros = v_lower WHERE scope = r.scope AND window_start = v_window;
      END IF;
      v_lower := (c->>'lower_calls')::bigint;
      IF v_lower IS NOT NULL THEN
        IF r.limit_calls IS NOT NULL AND v_lower > r.limit_calls THEN
          RETURN jsonb_build_object('ok', false, 'reason', 'raise', 'field', 'x-gantry-run-max-calls', 'scope', r.scope, 'limit', r.limit_calls);
        END IF;
        r.limit_calls := v_lower;
        UPDATE budget_counters SET limit_calls = v_lower WHERE scope = r.scope AND window_start = v_window;
      END IF;
      v_limit_micros := r.limit_micros; v_limit_calls := r.limit_calls; v_limit_tokens := r.limit_tokens;
      v_limit_depth := r.limit_depth; v_limit_wall := r.limit_wall_ms;
    ELSE
      v_limit_micros := (c->>'limit_micros')::bigint; v_limit_calls := (c->>'limit_calls')::bigint;
      v_limit_tokens := (c->>'limit_tokens')::bigint; v_limit_depth := NULL; v_limit_wall := NULL;
    END IF;
    IF v_limit_micros IS NOT NULL AND r.spent_micros + r.reserved_micros + v_amount > v_limit_micros THEN
      RETURN jsonb_build_object('ok', false, 'reason', 'cost', 'scope', r.scope, 'window', v_window,
        'spent', r.spent_micros, 'reserved', r.reserved_micros, 'needed', v_amount, 'limit', v_limit_micros);
    END IF;
    IF v_limit_calls IS NOT NULL AND r.calls + 1 > v_limit_calls THEN
      RETURN jsonb_build_object('ok', false, 'reason', 'calls', 'scope', r.scope, 'window', v_window, 'spent', r.calls, 'limit', v_limit_calls);
    END IF;
    IF v_limit_tokens IS NOT NULL AND r.tokens + v_tokens > v_limit_tokens THEN
      RETURN jsonb_build_object('ok', false, 'reason', 'tokens', 'scope', r.scope, 'window', v_window, 'spent', r.tokens, 'needed', v_tokens, 'limit', v_limit_tokens);
    END IF;
    IF v_limit_depth IS NOT NULL AND (c->>'depth')::bigint > v_limit_depth THEN
      RETURN jsonb_build_object('ok', false, 'reason', 'depth', 'scope', r.scope, 'spent', (c->>'depth')::bigint, 'limit', v_limit_depth);
    END IF;
    IF v_limit_wall IS NOT NULL AND v_at > r.created_at + v_limit_wall * interval '1 millisecond' THEN
      RETURN jsonb_build_object('ok', false, 'reason', 'wall_time', 'scope', r.scope,
        'spent', floor(extract(epoch FROM v_at - r.created_at) * 1000)::bigint, 'limit', v_limit_wall);
    END IF;
    v_scopes := v_scopes || jsonb_build_array(jsonb_build_object('scope', r.scope, 'window', v_window));
  END LOOP;

  -- Max parallel requests: the key's `parallel:` counter row, locked above, serializes this count.
  IF p_entry->>'max_parallel' IS NOT NULL THEN
    SELECT count(*) INTO v_in_flight FROM ledger_entries
      WHERE api_key_id = p_entry->>'api_key_id' AND state = 'reserved'
        AND created_at > v_at - (p_entry->>'parallel_timeout_ms')::bigint * interval '1 millisecond';
    IF v_in_flight + 1 > (p_entry->>'max_parallel')::bigint THEN
      RETURN jsonb_build_object('ok', false, 'reason', 'parallel', 'scope', 'parallel:key:' || (p_entry->>'api_key_id'),
        'spent', v_in_flight, 'limit', (p_entry->>'max_parallel')::bigint);
    END IF;
  END IF;

  UPDATE budget_counters b
    SET reserved_micros = b.reserved_micros + v_amount, calls = b.calls + 1, tokens = b.tokens + v_tokens
    FROM jsonb_array_elements(v_scopes) s
    WHERE b.scope = s.value->>'scope' AND b.window_start = (s.value->>'window')::timestamptz;
  INSERT INTO ledger_entries (id, state, api_key_id, team_id, customer_id, run_id, root_run_id, run_name, model,
      scopes, reserved_micros, reserved_tokens, created_at)
    VALUES (p_entry->>'id', 'reserved', p_entry->>'api_key_id', p_entry->>'team_id', p_entry->>'customer_id',
      p_entry->>'run_id', p_entry->>'root_run_id', p_entry->>'run_name', p_entry->>'model',
      v_scopes, v_amount, v_tokens, v_at);
  RETURN jsonb_build_object('ok', true);
END
$$;
--> statement-breakpoint
-- Settles (actual cost) or releases (nothing spent) a reservation. Idempotent: only an entry still
-- `reserved` changes, so a retried settlement cannot count twice.
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
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  FOR s IN SELECT value FROM jsonb_array_elements(e.scopes) ORDER BY value->>'scope', (value->>'window')::timestamptz LOOP
    UPDATE budget_counters
      SET reserved_micros = reserved_micros - e.reserved_micros, spent_micros = spent_micros + v_micros,
          tokens = tokens - e.reserved_tokens + v_tokens
      WHERE scope = s->>'scope' AND window_start = (s->>'window')::timestamptz;
  END LOOP;
  RETURN true;
END
$$;
