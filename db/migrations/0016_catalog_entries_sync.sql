-- Keeps `catalog_entries` (db/schema/datasets.ts) a copy of the few columns of `datasets` the catalog
-- ranks and filters on: every insert, and every update that changes one of them, writes the entry
-- in the same statement, so whatever writes `datasets` (the api, a script, a test) keeps it right.
-- Deleting a dataset deletes its entry (the foreign key cascades).

-- The type of each Local Contexts label, sorted and distinct: `labels @> [{"type": t}]` is then
-- `label_types @> {t}`.
CREATE OR REPLACE FUNCTION catalog_label_types(labels jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT l.value ->> 'type' ORDER BY l.value ->> 'type'), '{}'::text[])
  FROM jsonb_array_elements(CASE WHEN jsonb_typeof(labels) = 'array' THEN labels ELSE '[]'::jsonb END) AS l
  WHERE jsonb_typeof(l.value -> 'type') = 'string'
$$;
--> statement-breakpoint
-- AFTER the row is written: the generated columns (`language_keys`, `search_title`) are computed by then.
CREATE OR REPLACE FUNCTION catalog_entries_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND (NEW.id, NEW.community_id, NEW.status, NEW.tier, NEW.created_at, NEW.language_keys, NEW.labels, NEW.search_title)
         IS NOT DISTINCT FROM
         (OLD.id, OLD.community_id, OLD.status, OLD.tier, OLD.created_at, OLD.language_keys, OLD.labels, OLD.search_title) THEN
    RETURN NULL;
  END IF;
  INSERT INTO catalog_entries AS e
    (dataset_id, community_id, status, tier, created_at, language_keys, label_types, search_title)
  VALUES (NEW.id, NEW.community_id, NEW.status, NEW.tier, NEW.created_at, NEW.language_keys,
          catalog_label_types(NEW.labels), NEW.search_title)
  ON CONFLICT (dataset_id) DO UPDATE SET
    community_id = excluded.community_id, status = excluded.status, tier = excluded.tier,
    created_at = excluded.created_at, language_keys = excluded.language_keys,
    label_types = excluded.label_types, search_title = excluded.search_title;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER catalog_entries_sync AFTER INSERT OR UPDATE ON datasets
  FOR EACH ROW EXECUTE FUNCTION catalog_entries_sync();
--> statement-breakpoint
INSERT INTO catalog_entries (dataset_id, community_id, status, tier, created_at, language_keys, label_types, search_title)
SELECT id, community_id, status, tier, created_at, language_keys, catalog_label_types(labels), search_title
FROM datasets
ON CONFLICT (dataset_id) DO NOTHING;
--> statement-breakpoint
-- Built once the copy is filled (faster than row by row). No pending list (fastupdate off): every
-- search would scan it, up to 4 MB, until a vacuum merged it; the catalog is read far more than written.
CREATE INDEX "catalog_entries_search_title_idx" ON "catalog_entries" USING gin ("search_title") WITH (fastupdate=off);
--> statement-breakpoint
ANALYZE catalog_entries;
