-- Written by hand: the semantic cache's whole lookup in one statement, so that it costs one round
-- trip, where it took four (begin, the set_configs, the query, commit) — on PGlite each is a message
-- to the worker and back through the WASM engine, and that, not the HNSW search, was most of it.
--
-- cache_semantic_nearest(scope, namespace, partition_hash, probe, now, exact_scan_limit, index_type,
--   ef_search, iterative_scan, max_scan_tuples, candidates) returns exactly one row: the partition's
-- size as counted (null when exact_scan_limit is null: the caller knows it is large) and the nearest
-- live entry of the partition (scope, namespace, partition_hash, vector_dims(probe)) with its cosine
-- distance, or nulls when it has none.
--   * exact_scan_limit not null and the partition holds at most that many rows: exact scan.
--   * otherwise, index_type ('vector' or 'halfvec', the type the partial HNSW index of that dimension
--     count casts to; null when none can hold it) walks the index for `candidates` rows, re-ranked on
--     exact distances; when none passes the filter, or there is no index type, exact scan.
-- The index statement is dynamic: the partial index is used only when the planner sees the
-- dimension count as a literal, and it must be planned after enable_sort is off (PGlite never
-- analyzes; without statistics the planner would sort the partition read from the btree instead).
-- jit is off because enable_sort = off prices sorts at 10^10 and Postgres would compile the
-- statement (250 ms) for that apparent cost. The SET clauses confine those settings to the call;
-- hnsw.iterative_scan and hnsw.max_scan_tuples (pgvector 0.8+ only, so no SET clause, which older
-- versions would refuse) are put back by hand.
CREATE FUNCTION cache_semantic_nearest(
	p_scope text,
	p_namespace text,
	p_partition_hash text,
	p_probe vector,
	p_now timestamptz,
	p_exact_scan_limit integer,
	p_index_type text,
	p_ef_search integer,
	p_iterative_scan boolean,
	p_max_scan_tuples integer,
	p_candidates integer
)
RETURNS TABLE (partition_size integer, id text, prompt text, target text, result jsonb, cost_micros bigint, observations jsonb, distance float8)
LANGUAGE plpgsql
SET enable_sort = on
SET jit = off
SET hnsw.ef_search = 40
AS $$
#variable_conflict use_column
DECLARE
	v_dimensions integer := vector_dims(p_probe);
	v_size integer;
	v_iterative_scan text;
	v_max_scan_tuples text;
	v_found boolean;
BEGIN
	IF p_exact_scan_limit IS NOT NULL THEN
		SELECT count(*)::integer INTO v_size FROM (
			SELECT 1 FROM cache_semantic_entries e
			WHERE e.scope = p_scope AND e.namespace = p_namespace AND e.partition_hash = p_partition_hash AND e.dimensions = v_dimensions
			LIMIT p_exact_scan_limit + 1
		) AS counted;
	END IF;
	IF p_index_type IS NOT NULL AND (v_size IS NULL OR v_size > p_exact_scan_limit) THEN
		IF p_index_type NOT IN ('vector', 'halfvec') THEN
			RAISE EXCEPTION 'cache_semantic_nearest: index_type must be vector or halfvec, got %', p_index_type;
		END IF;
		PERFORM set_config('enable_sort', 'off', true), set_config('hnsw.ef_search', p_ef_search::text, true);
		IF p_iterative_scan THEN
			v_iterative_scan := current_setting('hnsw.iterative_scan');
			v_max_scan_tuples := current_setting('hnsw.max_scan_tuples');
			PERFORM set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.max_scan_tuples', p_max_scan_tuples::text, true);
		END IF;
		RETURN QUERY EXECUTE format(
			'WITH candidates AS MATERIALIZED (
				SELECT e.id, e.prompt, e.target, e.result, e.cost_micros, e.observations, (e.embedding <=> $1)::float8 AS distance
				FROM cache_semantic_entries e
				WHERE e.scope = $2 AND e.namespace = $3 AND e.partition_hash = $4 AND e.dimensions = %1$s AND e.expires_at > $5
				ORDER BY e.embedding::%2$s(%1$s) <=> $1::%2$s(%1$s) LIMIT $6
			)
			SELECT $7::integer, c.* FROM candidates c ORDER BY c.distance LIMIT 1',
			v_dimensions, p_index_type)
		USING p_probe, p_scope, p_namespace, p_partition_hash, p_now, p_candidates, v_size;
		-- Read now: PERFORM sets FOUND too.
		v_found := FOUND;
		PERFORM set_config('enable_sort', 'on', true);
		IF p_iterative_scan THEN
			PERFORM set_config('hnsw.iterative_scan', v_iterative_scan, true), set_config('hnsw.max_scan_tuples', v_max_scan_tuples, true);
		END IF;
		IF v_found THEN
			RETURN;
		END IF;
	END IF;
	-- Exact: the distance is on the undimensioned column, which no index holds, so the planner cannot
	-- swap in an approximate HNSW scan.
	RETURN QUERY
		SELECT v_size, e.id, e.prompt, e.target, e.result, e.cost_micros, e.observations, (e.embedding <=> p_probe)::float8 AS distance
		FROM cache_semantic_entries e
		WHERE e.scope = p_scope AND e.namespace = p_namespace AND e.partition_hash = p_partition_hash AND e.dimensions = v_dimensions
			AND e.expires_at > p_now
		ORDER BY e.embedding <=> p_probe LIMIT 1;
	IF NOT FOUND THEN
		partition_size := v_size;
		RETURN NEXT;
	END IF;
END;
$$;
