ALTER TABLE "audit_leaves" DROP CONSTRAINT "audit_leaves_seq_audit_events_seq_fk";
