CREATE TABLE "cache_calibrations" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"team_id" text,
	"api_key_id" text,
	"source" text NOT NULL,
	"model" text NOT NULL,
	"pairs" integer NOT NULL,
	"target_precision" double precision NOT NULL,
	"static_threshold" double precision,
	"rows" jsonb NOT NULL,
	"policy" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "cache_calibrations_owner_created_at_idx" ON "cache_calibrations" USING btree ("owner","created_at");