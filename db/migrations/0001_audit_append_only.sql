-- The audit log is append-only: rows are never deleted, and the only update allowed is the sequencer
-- filling in a hash that was still empty. Everything else is rejected by the database itself.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
    RAISE EXCEPTION 'audit_events is append-only: % rejected', TG_OP USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.hash IS NOT NULL
     OR NEW.seq IS DISTINCT FROM OLD.seq OR NEW.at IS DISTINCT FROM OLD.at
     OR NEW.actor_type IS DISTINCT FROM OLD.actor_type OR NEW.actor_id IS DISTINCT FROM OLD.actor_id
     OR NEW.actor_token_id IS DISTINCT FROM OLD.actor_token_id OR NEW.actor_ip_hash IS DISTINCT FROM OLD.actor_ip_hash
     OR NEW.action IS DISTINCT FROM OLD.action OR NEW.community_id IS DISTINCT FROM OLD.community_id
     OR NEW.dataset_id IS DISTINCT FROM OLD.dataset_id OR NEW.subject_type IS DISTINCT FROM OLD.subject_type
     OR NEW.subject_id IS DISTINCT FROM OLD.subject_id OR NEW.purpose IS DISTINCT FROM OLD.purpose
     OR NEW.details IS DISTINCT FROM OLD.details OR NEW.request_id IS DISTINCT FROM OLD.request_id THEN
    RAISE EXCEPTION 'audit_events is append-only: UPDATE rejected' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
