-- The sequencer fills in `hash` on every event, so the append-only check ran once per event in
-- PL/pgSQL. The same condition now sits in the trigger's WHEN clause, evaluated by the executor
-- without a function call; the function (unchanged) runs only for an update it is going to reject.
-- DELETE keeps its own row trigger; TRUNCATE keeps audit_events_no_truncate.
DROP TRIGGER audit_events_append_only ON audit_events;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events FOR EACH ROW
  WHEN (OLD.hash IS NOT NULL
    OR ROW(OLD.seq, OLD.at, OLD.actor_type, OLD.actor_id, OLD.actor_token_id, OLD.actor_ip_hash, OLD.action,
           OLD.community_id, OLD.dataset_id, OLD.subject_type, OLD.subject_id, OLD.purpose, OLD.details, OLD.request_id)
       IS DISTINCT FROM
       ROW(NEW.seq, NEW.at, NEW.actor_type, NEW.actor_id, NEW.actor_token_id, NEW.actor_ip_hash, NEW.action,
           NEW.community_id, NEW.dataset_id, NEW.subject_type, NEW.subject_id, NEW.purpose, NEW.details, NEW.request_id))
  EXECUTE FUNCTION audit_events_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW
  EXECUTE FUNCTION audit_events_append_only();
