CREATE TABLE "dataset_items" (
	"dataset_id" text NOT NULL,
	"position" integer NOT NULL,
	"source_run_id" text NOT NULL,
	"snapshot" json NOT NULL,
	CONSTRAINT "dataset_items_dataset_id_position_pk" PRIMARY KEY("dataset_id","position")
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner" text NOT NULL,
	"team_id" text,
	"api_key_id" text,
	"description" text,
	"selection" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"item_count" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "replay_items" (
	"replay_id" text NOT NULL,
	"position" integer NOT NULL,
	"candidate" integer NOT NULL,
	"status" text NOT NULL,
	"run_id" text NOT NULL,
	"summary" jsonb NOT NULL,
	"ended_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "replay_items_replay_id_position_candidate_pk" PRIMARY KEY("replay_id","position","candidate")
);
--> statement-breakpoint
CREATE TABLE "replay_steps" (
	"replay_id" text NOT NULL,
	"position" integer NOT NULL,
	"candidate" integer NOT NULL,
	"step" integer NOT NULL,
	"source_span_id" text NOT NULL,
	"span_id" text,
	"run_id" text NOT NULL,
	"score" jsonb,
	"result" json,
	"error" jsonb,
	"cost_micros" bigint DEFAULT 0 NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"ttft_ms" integer,
	"ended_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "replay_steps_replay_id_position_candidate_step_pk" PRIMARY KEY("replay_id","position","candidate","step")
);
--> statement-breakpoint
CREATE TABLE "replays" (
	"id" text PRIMARY KEY NOT NULL,
	"owner" text NOT NULL,
	"team_id" text,
	"api_key_id" text,
	"dataset_id" text NOT NULL,
	"mode" text NOT NULL,
	"candidates" jsonb NOT NULL,
	"positions" jsonb NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_owner_name_idx" ON "datasets" USING btree ("owner","name");--> statement-breakpoint
CREATE INDEX "replays_status_heartbeat_at_idx" ON "replays" USING btree ("status","heartbeat_at");--> statement-breakpoint
CREATE INDEX "replays_owner_created_at_idx" ON "replays" USING btree ("owner","created_at");