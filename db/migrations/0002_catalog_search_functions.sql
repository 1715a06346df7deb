-- Catalog search: the text search configuration of a dataset and its search document.
-- Custom SQL because a generated column may only call IMMUTABLE functions, and array_to_string is
-- only STABLE in general (it is immutable for text[], which is all we pass). The column and its
-- indexes are in the drizzle schema (db/schema/datasets.ts); keep this mapping in step with
-- api/datasets/search-config.ts (a test compares them).

-- The stemming configuration of a dataset's first language (BCP 47 primary subtag); `simple`
-- (lower-casing, no stemming, no stop words) for every language PostgreSQL has no stemmer for,
-- which includes the Indigenous languages.
CREATE OR REPLACE FUNCTION catalog_ts_config(languages text[]) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE lower(split_part(languages[1], '-', 1))
    WHEN 'ar' THEN 'arabic'::regconfig
    WHEN 'hy' THEN 'armenian'::regconfig
    WHEN 'eu' THEN 'basque'::regconfig
    WHEN 'ca' THEN 'catalan'::regconfig
    WHEN 'da' THEN 'danish'::regconfig
    WHEN 'nl' THEN 'dutch'::regconfig
    WHEN 'en' THEN 'english'::regconfig
    WHEN 'fi' THEN 'finnish'::regconfig
    WHEN 'fr' THEN 'french'::regconfig
    WHEN 'de' THEN 'german'::regconfig
    WHEN 'el' THEN 'greek'::regconfig
    WHEN 'hi' THEN 'hindi'::regconfig
    WHEN 'hu' THEN 'hungarian'::regconfig
    WHEN 'id' THEN 'indonesian'::regconfig
    WHEN 'ga' THEN 'irish'::regconfig
    WHEN 'it' THEN 'italian'::regconfig
    WHEN 'lt' THEN 'lithuanian'::regconfig
    WHEN 'ne' THEN 'nepali'::regconfig
    WHEN 'no' THEN 'norwegian'::regconfig
    WHEN 'nb' THEN 'norwegian'::regconfig
    WHEN 'nn' THEN 'norwegian'::regconfig
    WHEN 'pt' THEN 'portuguese'::regconfig
    WHEN 'ro' THEN 'romanian'::regconfig
    WHEN 'ru' THEN 'russian'::regconfig
    WHEN 'sr' THEN 'serbian'::regconfig
    WHEN 'es' THEN 'spanish'::regconfig
    WHEN 'sv' THEN 'swedish'::regconfig
    WHEN 'ta' THEN 'tamil'::regconfig
    WHEN 'tr' THEN 'turkish'::regconfig
    WHEN 'yi' THEN 'yiddish'::regconfig
    ELSE 'simple'::regconfig
  END
$$;
--> statement-breakpoint
-- The search document: each field stemmed in the dataset's own configuration and, for the short
-- fields, also as plain lower-cased words (`simple`), so that a query parsed in any language still
-- finds exact words. Weights rank title (A) over keywords (B), summary (C) and description (D).
-- The description is indexed up to its first 20,000 characters.
CREATE OR REPLACE FUNCTION catalog_search_vector(
  title text, summary text, keywords text[], description text, languages text[]
) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    setweight(to_tsvector(catalog_ts_config(languages), title), 'A') ||
    setweight(to_tsvector('simple'::regconfig, title), 'A') ||
    setweight(to_tsvector(catalog_ts_config(languages), array_to_string(keywords, ' ')), 'B') ||
    setweight(to_tsvector('simple'::regconfig, array_to_string(keywords, ' ')), 'B') ||
    setweight(to_tsvector(catalog_ts_config(languages), summary), 'C') ||
    setweight(to_tsvector('simple'::regconfig, summary), 'C') ||
    setweight(to_tsvector(catalog_ts_config(languages), left(description, 20000)), 'D')
$$;
