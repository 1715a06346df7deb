-- A published licence version never changes: people accepted exactly these terms. The only change the
-- database allows is withdrawing a published version (status and withdrawn_at, once).
CREATE OR REPLACE FUNCTION licence_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.dataset_id IS DISTINCT FROM OLD.dataset_id
     OR NEW.version IS DISTINCT FROM OLD.version OR NEW.base IS DISTINCT FROM OLD.base
     OR NEW.text IS DISTINCT FROM OLD.text OR NEW.purposes IS DISTINCT FROM OLD.purposes
     OR NEW.duo IS DISTINCT FROM OLD.duo OR NEW.prohibitions IS DISTINCT FROM OLD.prohibitions
     OR NEW.constraints IS DISTINCT FROM OLD.constraints OR NEW.reciprocity IS DISTINCT FROM OLD.reciprocity
     OR NEW.decision IS DISTINCT FROM OLD.decision OR NEW.auto_approve IS DISTINCT FROM OLD.auto_approve
     OR NEW.max_grant_days IS DISTINCT FROM OLD.max_grant_days OR NEW.fields IS DISTINCT FROM OLD.fields
     OR NEW.created_by IS DISTINCT FROM OLD.created_by OR NEW.created_at IS DISTINCT FROM OLD.created_at
     OR NOT (NEW.status = OLD.status AND NEW.withdrawn_at IS NOT DISTINCT FROM OLD.withdrawn_at
             OR OLD.status = 'published' AND NEW.status = 'withdrawn' AND NEW.withdrawn_at IS NOT NULL) THEN
    RAISE EXCEPTION 'licence version % is published and cannot change', OLD.version
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER licence_versions_immutable BEFORE UPDATE ON licence_versions
  FOR EACH ROW EXECUTE FUNCTION licence_versions_immutable();
