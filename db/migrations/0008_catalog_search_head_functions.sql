-- Catalog search at scale: two more derived columns of `datasets` (in the drizzle schema,
-- db/schema/datasets.ts) need IMMUTABLE functions, which only custom SQL can create.

-- Parts of the search document without the description, built exactly as the first parts of
-- catalog_search_vector (0002) — same configurations, same positions:
--  * the title vector: title (A) and keywords (B), the strongest matches, the only ones ranked;
--  * the head vector: title, keywords and summary (C).
-- Both are small (a few hundred bytes) and stay inline in the heap row, so testing and ranking them
-- reads no TOAST; the full `search` vector (with the description) still decides what matches.
CREATE OR REPLACE FUNCTION catalog_search_title(title text, keywords text[], languages text[])
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    setweight(to_tsvector(catalog_ts_config(languages), title), 'A') ||
    setweight(to_tsvector('simple'::regconfig, title), 'A') ||
    setweight(to_tsvector(catalog_ts_config(languages), array_to_string(keywords, ' ')), 'B') ||
    setweight(to_tsvector('simple'::regconfig, array_to_string(keywords, ' ')), 'B')
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION catalog_search_head(
  title text, summary text, keywords text[], languages text[]
) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    catalog_search_title(title, keywords, languages) ||
    setweight(to_tsvector(catalog_ts_config(languages), summary), 'C') ||
    setweight(to_tsvector('simple'::regconfig, summary), 'C')
$$;
--> statement-breakpoint
-- Every hyphen-prefix of every language tag, lower-cased: `{mi-NZ, en}` → `{en, mi, mi-nz}`. The
-- catalog's `language` filter (`mi` matches `mi` and `mi-NZ`) is then `language_keys @> {mi}`,
-- which a GIN index answers.
CREATE OR REPLACE FUNCTION catalog_language_keys(languages text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT array_to_string(parts[1:n], '-') ORDER BY array_to_string(parts[1:n], '-')), '{}'::text[])
  FROM unnest(languages) AS l(tag),
       LATERAL string_to_array(lower(l.tag), '-') AS p(parts),
       LATERAL generate_series(1, coalesce(array_length(parts, 1), 0)) AS n
$$;
