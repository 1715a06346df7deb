ALTER TABLE "datasets" ADD COLUMN "search_title" "tsvector" GENERATED ALWAYS AS (catalog_search_title(title, keywords, languages)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "search_head" "tsvector" GENERATED ALWAYS AS (catalog_search_head(title, summary, keywords, languages)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "datasets" ADD COLUMN "language_keys" text[] GENERATED ALWAYS AS (catalog_language_keys(languages)) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "datasets_search_title_idx" ON "datasets" USING gin ("search_title");--> statement-breakpoint
CREATE INDEX "datasets_search_head_idx" ON "datasets" USING gin ("search_head");--> statement-breakpoint
CREATE INDEX "datasets_language_keys_idx" ON "datasets" USING gin ("language_keys");