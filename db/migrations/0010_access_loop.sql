ALTER TABLE "access_requests" ADD COLUMN "round" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "access_requests_one_open_key" ON "access_requests" USING btree ("dataset_id","requester_id") WHERE status in ('submitted', 'in_review', 'returned');--> statement-breakpoint
CREATE UNIQUE INDEX "grants_request_key" ON "grants" USING btree ("request_id");