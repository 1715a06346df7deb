/**
 * The PostgreSQL text search configuration for a BCP 47 language tag's primary subtag — the same
 * mapping as the SQL function `catalog_ts_config` (migration 0002_catalog_search_functions), which
 * builds each dataset's search document. Languages without a stemmer (the Indigenous languages among
 * them) use `simple`: lower-cased words, no stemming, no stop words.
 */
export const TS_CONFIGS: Readonly<Record<string, string>> = {
  ar: 'arabic',
  hy: 'armenian',
  eu: 'basque',
  ca: 'catalan',
  da: 'danish',
  nl: 'dutch',
  en: 'english',
  fi: 'finnish',
  fr: 'french',
  de: 'german',
  el: 'greek',
  hi: 'hindi',
  hu: 'hungarian',
  id: 'indonesian',
  ga: 'irish',
  it: 'italian',
  lt: 'lithuanian',
  ne: 'nepali',
  no: 'norwegian',
  nb: 'norwegian',
  nn: 'norwegian',
  pt: 'portuguese',
  ro: 'romanian',
  ru: 'russian',
  sr: 'serbian',
  es: 'spanish',
  sv: 'swedish',
  ta: 'tamil',
  tr: 'turkish',
  yi: 'yiddish',
};

/** The configuration for one language tag (`en-NZ` → `english`, `mi` → `simple`). */
export function tsConfigFor(tag: string): string {
  return TS_CONFIGS[tag.split('-')[0].toLowerCase()] ?? 'simple';
}

/**
 * The configurations a query is parsed with: always `simple` (exact words, found in every dataset
 * whatever its language), plus the stemmer of each language the caller reads — the `language`
 * filter first, then the `Accept-Language` preferences — so that "rivers" finds "river" in an
 * English dataset and "rivières" finds "rivière" in a French one. Without any, English.
 */
export function queryConfigs(languages: string[]): string[] {
  const configs = new Set<string>(['simple']);
  for (const tag of languages.length ? languages : ['en']) {
    configs.add(tsConfigFor(tag));
    if (configs.size >= 4) break;
  }
  return [...configs];
}

/** The language tags of an `Accept-Language` header, best first (q=0 and `*` left out). */
export function acceptedLanguages(header: string | undefined): string[] {
  if (!header) return [];
  return header
    .split(',')
    .slice(0, 20)
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const q = qp ? Number(qp.slice(2)) : 1;
      return { tag: tag.trim(), q: Number.isFinite(q) ? q : 0, i };
    })
    .filter((x) => x.q > 0 && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(x.tag))
    .sort((a, b) => b.q - a.q || a.i - b.i)
    .map((x) => x.tag);
}
