ALTER TABLE "spans" ADD COLUMN "one_call_run" boolean;--> statement-breakpoint
ALTER TABLE "spans" ADD COLUMN "team_id" text;--> statement-breakpoint
CREATE INDEX "spans_one_call_run_started_at_idx" ON "spans" USING btree ("started_at") WHERE "spans"."one_call_run";--> statement-breakpoint
CREATE INDEX "spans_one_call_run_api_key_id_started_at_idx" ON "spans" USING btree ("api_key_id","started_at") WHERE "spans"."one_call_run";--> statement-breakpoint
-- Every run, to read (schema/runs.ts `runRows`, docs/decisions/0013): the runs table's rows and the
-- one-call runs, which have no row and are read from their llm span. A one-call run whose id a
-- client later named gets a runs row (claimRun) and is then read from that row only.
CREATE VIEW "run_rows" AS
SELECT "id", "parent_run_id", "root_run_id", "api_key_id", "team_id", "depth", "name", "status", "metadata", "pinned_targets",
	"started_at", "ended_at", "last_activity_at", "cost_micros", "input_tokens", "output_tokens", "llm_calls", "tool_calls", "scope", "client_run_id"
FROM "runs"
UNION ALL
SELECT s."run_id", NULL::text, s."run_id", s."api_key_id", s."team_id", 0, NULL::text,
	CASE WHEN s."status" = 'ok' THEN 'succeeded' ELSE 'failed' END,
	'{}'::jsonb, '{}'::jsonb, s."started_at", s."ended_at", coalesce(s."ended_at", s."started_at"),
	s."cost_micros", s."input_tokens"::bigint, s."output_tokens"::bigint, 1,
	(SELECT count(*) FROM "spans" t WHERE t."run_id" = s."run_id" AND t."kind" = 'tool')::integer,
	CASE WHEN s."team_id" IS NOT NULL THEN 'team:' || s."team_id" WHEN s."api_key_id" IS NOT NULL THEN 'key:' || s."api_key_id" ELSE 'master' END,
	s."run_id"
FROM "spans" s
WHERE s."one_call_run" AND NOT EXISTS (SELECT 1 FROM "runs" r WHERE r."id" = s."run_id");
