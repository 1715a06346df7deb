export interface DuoTerm {
  id: string;
  code: string;
  label: string;
  kind: 'permission' | 'modifier';
}

/**
 * The GA4GH Data Use Ontology terms a licence may name (from `../shared/standards/duo.csv`, CC BY 4.0;
 * a unit test checks this list against that file). A `permission` says what the data may be used for, a
 * `modifier` adds a condition. The two abstract parents (DUO:0000001, DUO:0000017) are not assignable.
 */
export const duoTerms = [
  { id: 'DUO:0000004', code: 'NRES', label: 'no restriction', kind: 'permission' },
  { id: 'DUO:0000006', code: 'HMB', label: 'health or medical or biomedical research', kind: 'permission' },
  { id: 'DUO:0000007', code: 'DS', label: 'disease specific research', kind: 'permission' },
  {
    id: 'DUO:0000011',
    code: 'POA',
    label: 'population origins or ancestry research only',
    kind: 'permission',
  },
  { id: 'DUO:0000012', code: 'RS', label: 'research specific restrictions', kind: 'modifier' },
  { id: 'DUO:0000015', code: 'NMDS', label: 'no general methods research', kind: 'modifier' },
  { id: 'DUO:0000016', code: 'GSO', label: 'genetic studies only', kind: 'modifier' },
  { id: 'DUO:0000018', code: 'NPUNCU', label: 'not for profit, non commercial use only', kind: 'modifier' },
  { id: 'DUO:0000019', code: 'PUB', label: 'publication required', kind: 'modifier' },
  { id: 'DUO:0000020', code: 'COL', label: 'collaboration required', kind: 'modifier' },
  { id: 'DUO:0000021', code: 'IRB', label: 'ethics approval required', kind: 'modifier' },
  { id: 'DUO:0000022', code: 'GS', label: 'geographical restriction', kind: 'modifier' },
  { id: 'DUO:0000024', code: 'MOR', label: 'publication moratorium', kind: 'modifier' },
  { id: 'DUO:0000025', code: 'TS', label: 'time limit on use', kind: 'modifier' },
  { id: 'DUO:0000026', code: 'US', label: 'user specific restriction', kind: 'modifier' },
  { id: 'DUO:0000027', code: 'PS', label: 'project specific restriction', kind: 'modifier' },
  { id: 'DUO:0000028', code: 'IS', label: 'institution specific restriction', kind: 'modifier' },
  { id: 'DUO:0000029', code: 'RTN', label: 'return to database or resource', kind: 'modifier' },
  { id: 'DUO:0000042', code: 'GRU', label: 'general research use', kind: 'permission' },
  { id: 'DUO:0000043', code: 'CC', label: 'clinical care use', kind: 'modifier' },
  {
    id: 'DUO:0000044',
    code: 'NPOA',
    label: 'population origins or ancestry research prohibited',
    kind: 'modifier',
  },
  { id: 'DUO:0000045', code: 'NPU', label: 'not for profit organisation use only', kind: 'modifier' },
  { id: 'DUO:0000046', code: 'NCU', label: 'non-commercial use only', kind: 'modifier' },
] as const satisfies readonly DuoTerm[];

export type DuoId = (typeof duoTerms)[number]['id'];
export type DuoCode = (typeof duoTerms)[number]['code'];

const byId = new Map<string, DuoTerm>(duoTerms.map((t) => [t.id, t]));

/** The DUO term with this id (`DUO:0000042`), if it is one a licence may name. */
export const duoTerm = (id: string): DuoTerm | undefined => byId.get(id);

/** The id of a DUO term by its shorthand (`GRU` → `DUO:0000042`). */
export const duoId = (code: DuoCode): DuoId => duoTerms.find((t) => t.code === code)!.id;

/** The OBO IRI of a DUO term (`DUO:0000042` → `http://purl.obolibrary.org/obo/DUO_0000042`). */
export const duoIri = (id: string) => `http://purl.obolibrary.org/obo/${id.replace(':', '_')}`;
