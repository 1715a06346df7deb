ALTER TABLE "datasets" ADD COLUMN "search" "tsvector" GENERATED ALWAYS AS (catalog_search_vector(title, summary, keywords, description, languages)) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "datasets_search_idx" ON "datasets" USING gin ("search");--> statement-breakpoint
CREATE INDEX "datasets_labels_idx" ON "datasets" USING gin ("labels" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "datasets_catalog_order_idx" ON "datasets" USING btree ("created_at","id");