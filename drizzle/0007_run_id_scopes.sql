ALTER TABLE "runs" ADD COLUMN "scope" text;--> statement-breakpoint
ALTER TABLE "runs" ADD COLUMN "client_run_id" text;--> statement-breakpoint
UPDATE "runs" SET "client_run_id" = "id", "scope" = CASE WHEN "team_id" IS NOT NULL THEN 'team:' || "team_id" WHEN "api_key_id" IS NOT NULL THEN 'key:' || "api_key_id" ELSE 'master' END;--> statement-breakpoint
ALTER TABLE "runs" ALTER COLUMN "scope" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "runs" ALTER COLUMN "client_run_id" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "runs_scope_client_run_id_idx" ON "runs" USING btree ("scope","client_run_id");
