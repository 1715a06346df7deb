/**
 * The catalog URL for a submitted search form: only the fields filled in (trimmed), so that links
 * read `/?q=river&tier=open`, not `/?q=river&tier=&purpose=&language=&community=&label=`.
 */
export function searchHref(form: FormData | Iterable<[string, FormDataEntryValue]>): string {
  const params = new URLSearchParams();
  for (const [name, value] of form) {
    if (typeof value === 'string' && value.trim()) params.append(name, value.trim());
  }
  const query = params.toString();
  return query ? `/?${query}` : '/';
}
