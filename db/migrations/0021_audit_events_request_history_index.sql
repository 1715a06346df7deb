DROP INDEX "audit_events_action_idx";--> statement-breakpoint
CREATE INDEX "audit_events_request_subject_idx" ON "audit_events" USING btree ("subject_id","seq") WHERE subject_type = 'AccessRequest';