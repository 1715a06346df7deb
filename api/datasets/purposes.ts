/**
 * The broader purposes of a purpose, from the purpose tree of DOMAIN.md
 * (`research` › `health-research` › `disease-specific:<MONDO id>`; `ai` › `ai-training`, …):
 * a licence that permits a broader purpose permits this one (the DUOS rule).
 * TODO(merge): use the shared purpose vocabulary once policies/ has one.
 */
const PARENT: Readonly<Record<string, string>> = {
  'health-research': 'research',
  'ai-training': 'ai',
  'ai-fine-tuning': 'ai',
  'ai-evaluation': 'ai',
};

/** The purpose itself and every broader one, narrowest first (`ai-training` → `[ai-training, ai]`). */
export function purposeAndBroader(purpose: string): string[] {
  const out = [purpose];
  let p = purpose.startsWith('disease-specific:') ? 'health-research' : PARENT[purpose];
  while (p && !out.includes(p)) {
    out.push(p);
    p = PARENT[p];
  }
  return out;
}
