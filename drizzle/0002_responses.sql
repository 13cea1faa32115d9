CREATE TABLE "response_items" (
	"response_id" text NOT NULL,
	"position" integer NOT NULL,
	"item_id" text NOT NULL,
	"output" boolean NOT NULL,
	"team_id" text,
	"api_key_id" text,
	"item" jsonb NOT NULL,
	CONSTRAINT "response_items_response_id_position_pk" PRIMARY KEY("response_id","position")
);
--> statement-breakpoint
CREATE TABLE "responses" (
	"id" text PRIMARY KEY NOT NULL,
	"api_key_id" text,
	"team_id" text,
	"run_id" text NOT NULL,
	"previous_response_id" text,
	"stored" boolean NOT NULL,
	"response" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "response_items_item_id_idx" ON "response_items" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "responses_run_id_idx" ON "responses" USING btree ("run_id");