CREATE TABLE "cache_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"namespace" text DEFAULT '' NOT NULL,
	"key_hash" text NOT NULL,
	"target" text NOT NULL,
	"result" jsonb NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"hits" integer DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "cache_entries_key_idx" ON "cache_entries" USING btree ("scope","namespace","key_hash");--> statement-breakpoint
CREATE INDEX "cache_entries_expires_at_idx" ON "cache_entries" USING btree ("expires_at");