CREATE TABLE "download_counts" (
	"community_id" uuid NOT NULL,
	"monthly" boolean NOT NULL,
	"day" date NOT NULL,
	"dim" text NOT NULL,
	"dataset_id" uuid NOT NULL,
	"key" text NOT NULL,
	"n" bigint NOT NULL,
	CONSTRAINT "download_counts_pkey" PRIMARY KEY("community_id","monthly","day","dim","dataset_id","key")
);
--> statement-breakpoint
-- The daily cross-product rollups so far, per dimension and per day and month (the watermark stays valid).
INSERT INTO "download_counts" ("community_id", "monthly", "day", "dim", "dataset_id", "key", "n")
SELECT r."community_id", g."monthly", CASE WHEN g."monthly" THEN date_trunc('month', r."day")::date ELSE r."day" END,
	x."dim", r."dataset_id", x."key", sum(r."n")
FROM "download_rollups" r
	CROSS JOIN (VALUES (false), (true)) g("monthly")
	CROSS JOIN LATERAL (VALUES ('dataset', ''), ('purpose', r."purpose"),
		('organisation', CASE WHEN r."anonymous" THEN NULL ELSE r."organisation" END),
		('anonymous', CASE WHEN r."anonymous" THEN '' END)) x("dim", "key")
WHERE x."key" IS NOT NULL
GROUP BY 1, 2, 3, 4, 5, 6;
