CREATE TABLE "catalog_entries" (
	"dataset_id" uuid PRIMARY KEY NOT NULL,
	"community_id" uuid NOT NULL,
	"status" "dataset_status" NOT NULL,
	"tier" "access_tier" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"language_keys" text[] NOT NULL,
	"label_types" text[] NOT NULL,
	"search_title" "tsvector" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "catalog_entries" ADD CONSTRAINT "catalog_entries_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE cascade;
-- The GIN index on search_title is built by 0016_catalog_entries_sync after the copy is filled.
