-- The Merkle tree's tables are append-only too: leaves, stored subtrees and signed checkpoints are
-- written once by the sequencer and never changed or removed.
CREATE OR REPLACE FUNCTION audit_tree_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_leaves_append_only BEFORE UPDATE OR DELETE ON audit_leaves
  FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_leaves_no_truncate BEFORE TRUNCATE ON audit_leaves
  FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_nodes_append_only BEFORE UPDATE OR DELETE ON audit_nodes
  FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_nodes_no_truncate BEFORE TRUNCATE ON audit_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_tree_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_tree_append_only();
--> statement-breakpoint
-- Where the api connects as its own role (`steward_app`) rather than as the tables' owner, that role
-- gets no UPDATE / DELETE / TRUNCATE on the log at all, except filling in an event's hash. The owner
-- (or a superuser) can still disable the triggers, which is why the log is also hashed and signed.
-- Nothing happens where the role does not exist (PGlite, a single superuser connection).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'steward_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_leaves, audit_nodes, audit_checkpoints FROM steward_app;
    GRANT SELECT, INSERT ON audit_events, audit_leaves, audit_nodes, audit_checkpoints TO steward_app;
    GRANT UPDATE (hash) ON audit_events TO steward_app;
    GRANT USAGE ON SEQUENCE audit_events_seq_seq TO steward_app;
  END IF;
END;
$$;
