-- Bodies (span request/result/raw, stored responses and their items, cached answers) are written on
-- or beside every call. Postgres's default compression, pglz, about doubled the cost of writing them
-- (docs/decisions/0015): lz4 where the server has it (as fast as no compression, smaller than pglz);
-- elsewhere (PGlite, a server built without lz4) no compression, the values still stored out of line.
DO $$
DECLARE
	body_columns text[][] := ARRAY[
		ARRAY['spans', 'request'], ARRAY['spans', 'result'], ARRAY['spans', 'raw'],
		ARRAY['responses', 'response'], ARRAY['response_items', 'item'], ARRAY['cache_entries', 'result']];
	has_lz4 boolean := EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals));
	body_column text[];
BEGIN
	FOREACH body_column SLICE 1 IN ARRAY body_columns LOOP
		IF has_lz4 THEN
			EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET COMPRESSION lz4', body_column[1], body_column[2]);
		ELSE
			EXECUTE format('ALTER TABLE %I ALTER COLUMN %I SET STORAGE EXTERNAL', body_column[1], body_column[2]);
		END IF;
	END LOOP;
END $$;
