CREATE TABLE "pseudonyms" (
	"root_run_id" text NOT NULL,
	"value_hash" text NOT NULL,
	"detector" text NOT NULL,
	"placeholder" text NOT NULL,
	"value_sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "pseudonyms_root_run_id_value_hash_pk" PRIMARY KEY("root_run_id","value_hash")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "pseudonyms_placeholder_idx" ON "pseudonyms" USING btree ("root_run_id","placeholder");--> statement-breakpoint
CREATE INDEX "pseudonyms_expires_at_idx" ON "pseudonyms" USING btree ("expires_at");