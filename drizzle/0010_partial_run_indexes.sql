DROP INDEX "runs_parent_run_id_idx";--> statement-breakpoint
DROP INDEX "runs_status_last_activity_at_idx";--> statement-breakpoint
CREATE INDEX "runs_parent_run_id_idx" ON "runs" USING btree ("parent_run_id") WHERE "runs"."parent_run_id" is not null;--> statement-breakpoint
CREATE INDEX "runs_status_last_activity_at_idx" ON "runs" USING btree ("status","last_activity_at") WHERE "runs"."status" = 'running';