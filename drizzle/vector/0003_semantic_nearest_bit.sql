-- Written by hand: cache_semantic_nearest (0002) also walks a `bit` index, the one PGlite builds:
-- HNSW over the embeddings' signs (`binary_quantize(embedding)::bit(D)`, Hamming distance), whose
-- candidates are re-ranked on exact cosine distances as before. A 512-dimension entry is 64 bytes
-- in that index instead of 2 kB, so a 100k index fits PGlite's page cache, and a Hamming distance
-- is a few popcounts where a cosine one was 512 multiplications in WebAssembly.
-- Arguments and result as in 0002; index_type may now be 'bit'.
CREATE OR REPLACE FUNCTION cache_semantic_nearest(
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
		IF p_index_type NOT IN ('vector', 'halfvec', 'bit') THEN
			RAISE EXCEPTION 'cache_semantic_nearest: index_type must be vector, halfvec or bit, got %', p_index_type;
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
				ORDER BY %2$s LIMIT $6
			)
			SELECT $7::integer, c.* FROM candidates c ORDER BY c.distance LIMIT 1',
			v_dimensions,
			CASE p_index_type
				WHEN 'bit' THEN format('binary_quantize(e.embedding)::bit(%1$s) <~> binary_quantize($1)::bit(%1$s)', v_dimensions)
				ELSE format('e.embedding::%2$s(%1$s) <=> $1::%2$s(%1$s)', v_dimensions, p_index_type)
			END)
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
