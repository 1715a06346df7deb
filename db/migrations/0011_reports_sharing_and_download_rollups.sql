CREATE TABLE "download_rollups" (
	"community_id" uuid NOT NULL,
	"day" date NOT NULL,
	"dataset_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"organisation" text NOT NULL,
	"anonymous" boolean NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "download_rollups_pkey" PRIMARY KEY("community_id","day","dataset_id","purpose","organisation","anonymous")
);
--> statement-breakpoint
CREATE TABLE "report_rollup_state" (
	"id" smallint PRIMARY KEY DEFAULT 1 NOT NULL,
	"next_leaf" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "communities" ADD COLUMN "reports_shared_with_members" boolean DEFAULT false NOT NULL;