-- The sequencer no longer marks events by filling in their hash: which events are in the tree is told by
-- audit_leaves and the sequencer's floor. The events table becomes strictly append-only (no UPDATE at
-- all), and each event costs one heap tuple instead of two (the update rewrote the row and its indexes).
-- First the lock that the DROP TRIGGER below would take anyway: taken before the floor is seeded, so that
-- a writer still running (another api process during the migration) commits or rolls back first, and
-- the seeding statement (READ COMMITTED: a new snapshot) sees it. Without it, an event committing after
-- the seed could sit below the floor forever. Stop the old api processes before this migration: their
-- INSERTs name the dropped column.
LOCK TABLE "audit_events" IN ACCESS EXCLUSIVE MODE;
--> statement-breakpoint
CREATE TABLE "audit_sequencer_state" (
	"id" smallint PRIMARY KEY NOT NULL CHECK ("id" = 1),
	"floor" bigint NOT NULL,
	"horizon_seq" bigint,
	"horizon_xid" bigint
);
--> statement-breakpoint
-- Every event below the first one without a hash is integrated.
INSERT INTO "audit_sequencer_state" ("id", "floor")
SELECT 1, coalesce((SELECT min("seq") - 1 FROM "audit_events" WHERE "hash" IS NULL), (SELECT max("seq") FROM "audit_events"), 0);
--> statement-breakpoint
DROP TRIGGER "audit_events_append_only" ON "audit_events";
--> statement-breakpoint
DROP INDEX "audit_events_unsequenced_idx";
--> statement-breakpoint
ALTER TABLE "audit_events" DROP COLUMN "hash";
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % rejected', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
--> statement-breakpoint
-- The writing transaction takes its xid before its seq (CASE evaluates the test first). So once every
-- transaction older than an xid taken after reading the sequence has ended, every seq up to that reading
-- has committed or rolled back: the sequencer's floor may rise to it (api/audit/sequencer.ts). This
-- needs the sequence's CACHE to stay 1 (the default): a backend's cached values would be handed out
-- after the reading, by transactions newer than the xid.
ALTER TABLE "audit_events" ALTER COLUMN "seq"
  SET DEFAULT CASE WHEN pg_current_xact_id() IS NOT NULL THEN nextval('audit_events_seq_seq'::regclass) END;
--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'steward_app') THEN
    GRANT SELECT, UPDATE ON audit_sequencer_state TO steward_app;
  END IF;
END;
$$;
