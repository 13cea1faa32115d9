CREATE TABLE "cache_semantic_entries" (
	"id" text PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"namespace" text DEFAULT '' NOT NULL,
	"partition_hash" text NOT NULL,
	"dimensions" integer NOT NULL,
	"embedding" vector NOT NULL,
	"prompt" text NOT NULL,
	"target" text NOT NULL,
	"result" jsonb NOT NULL,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"observations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cache_semantic_entries_dimensions_check" CHECK (vector_dims("cache_semantic_entries"."embedding") = "cache_semantic_entries"."dimensions")
);
--> statement-breakpoint
CREATE INDEX "cache_semantic_entries_partition_idx" ON "cache_semantic_entries" USING btree ("scope","namespace","partition_hash","dimensions");--> statement-breakpoint
CREATE INDEX "cache_semantic_entries_expires_at_idx" ON "cache_semantic_entries" USING btree ("expires_at");--> statement-breakpoint
-- Written by hand: keep embeddings in the row (a 512-d vector is 2 kB, past the TOAST threshold) so
-- that exact scans and re-ranking read one page per row, not the row and its TOAST chunks. MAIN
-- still moves a vector out of line when the row cannot fit a page (vectors past ~2,000 dimensions).
ALTER TABLE "cache_semantic_entries" ALTER COLUMN "embedding" SET STORAGE MAIN;
