/**
 * Checks an ODRL 2.2 policy in compact JSON-LD against the MUST rules of the ODRL Information Model
 * (https://www.w3.org/TR/odrl-model/), with the terms of the ODRL Common Vocabulary and of the given
 * profile document. Returns every violation found (empty: conforming). Written for Offers and
 * Agreements: both need exactly one assigner, an Agreement also one assignee.
 */
const odrlActions = new Set(
  'use transfer acceptTracking aggregate annotate anonymize archive attribute compensate concurrentUse delete derive digitize display distribute ensureExclusivity execute extract give grantUse include index inform install modify move nextPolicy obtainConsent play present print read reproduce reviewPolicy sell stream synchronize textToSpeech transform translate uninstall watermark commercialize'.split(
    ' ',
  ),
);
const odrlLeftOperands = new Set(
  'absolutePosition absoluteSpatialPosition absoluteTemporalPosition absoluteSize count dateTime delayPeriod deliveryChannel elapsedTime event fileFormat industry language media meteredTime payAmount percentage product purpose recipient relativePosition relativeSpatialPosition relativeTemporalPosition relativeSize resolution spatial spatialCoordinates systemDevice timeInterval unitOfCount version virtualLocation'.split(
    ' ',
  ),
);
const odrlOperators = new Set(
  'eq gt gteq lt lteq neq isA hasPart isPartOf isAllOf isAnyOf isNoneOf'.split(' '),
);
const setOperators = new Set(['isAllOf', 'isAnyOf', 'isNoneOf']);
const policyTypes = new Set([
  'Set',
  'Offer',
  'Agreement',
  'Policy',
  'Privacy',
  'Request',
  'Ticket',
  'Assertion',
]);

type Json = Record<string, unknown>;
const isIri = (v: unknown): v is string => typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\S+$/i.test(v);
const partyIri = (p: unknown): string | undefined =>
  isIri(p)
    ? p
    : p && typeof p === 'object'
      ? (((p as Json).uid as string) ?? ((p as Json)['@id'] as string))
      : undefined;
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function odrlViolations(policy: Json, profile?: Json): string[] {
  const v: string[] = [];
  const profileTerms = new Set(
    list(profile?.['@graph'])
      .map((t) => (t as Json)['@id'])
      .filter((x): x is string => typeof x === 'string'),
  );
  const context = list(policy['@context']);
  if (!context.includes('http://www.w3.org/ns/odrl.jsonld'))
    v.push('@context does not include the ODRL context');
  const type = policy['@type'];
  if (typeof type !== 'string' || !policyTypes.has(type))
    v.push(`@type "${String(type)}" is not an ODRL Policy class`);
  if (!isIri(policy.uid)) v.push('a Policy MUST have one uid, an IRI');
  const usesProfileTerms = JSON.stringify(policy).includes('"steward:');
  if (usesProfileTerms && !isIri(policy.profile))
    v.push('a Policy using terms outside the ODRL vocabulary MUST name its profile');

  // A term: ODRL's own, or a prefixed term the profile defines.
  const known = (term: unknown, odrl: Set<string>, what: string, where: string) => {
    if (typeof term !== 'string') return v.push(`${where}: ${what} MUST be one term`);
    if (term.includes(':')) {
      if (term.startsWith('steward:') && !profileTerms.has(term))
        v.push(`${where}: ${what} ${term} is not defined in the profile`);
    } else if (!odrl.has(term)) v.push(`${where}: ${what} "${term}" is not in the ODRL vocabulary`);
  };

  const constraints = (rule: Json, where: string) => {
    for (const [i, c] of list(rule.constraint).entries()) {
      const w = `${where}.constraint[${i}]`;
      const k = c as Json;
      if ('and' in k || 'or' in k || 'xone' in k || 'andSequence' in k) continue;
      if (k.leftOperand === undefined) v.push(`${w}: a Constraint MUST have one leftOperand`);
      else known(k.leftOperand, odrlLeftOperands, 'leftOperand', w);
      if (typeof k.operator !== 'string' || !odrlOperators.has(k.operator))
        v.push(`${w}: a Constraint MUST have one operator from the ODRL vocabulary`);
      if (k.rightOperand === undefined && k.rightOperandReference === undefined)
        v.push(`${w}: a Constraint MUST have a rightOperand or rightOperandReference`);
      if (Array.isArray(k.rightOperand) && !setOperators.has(k.operator as string))
        v.push(`${w}: a list rightOperand needs isAnyOf, isAllOf or isNoneOf, not ${String(k.operator)}`);
      if (Array.isArray(k.rightOperand) && k.rightOperand.length === 0)
        v.push(`${w}: an empty list rightOperand`);
    }
  };

  const policyTarget = policy.target;
  const policyAssigner = policy.assigner;
  if (Array.isArray(policyAssigner) && policyAssigner.length !== 1)
    v.push('an Offer or Agreement MUST have exactly one assigner');
  const rule = (r: Json, where: string, needsTarget: boolean) => {
    const target = r.target ?? policyTarget;
    if (needsTarget && (target === undefined || Array.isArray(target) || !isIri(partyIri(target))))
      v.push(`${where}: a Rule MUST have one target, an IRI`);
    if (r.action === undefined || Array.isArray(r.action))
      v.push(`${where}: a Rule MUST have exactly one action`);
    else
      known(
        typeof r.action === 'object' ? ((r.action as Json)['rdf:value'] as Json)?.['@id'] : r.action,
        odrlActions,
        'action',
        where,
      );
    constraints(r, where);
    if ((type === 'Offer' || type === 'Agreement') && needsTarget) {
      const assigner = partyIri(r.assigner ?? (Array.isArray(policyAssigner) ? undefined : policyAssigner));
      if (!isIri(assigner))
        v.push(`${where}: an ${String(type)} MUST have one assigner (on the policy or the rule)`);
      else if (
        r.assigner !== undefined &&
        partyIri(policyAssigner) &&
        partyIri(r.assigner) !== partyIri(policyAssigner)
      )
        v.push(`${where}: the rule's assigner differs from the policy's one assigner`);
    }
    if (type === 'Agreement' && needsTarget && !isIri(partyIri(r.assignee ?? policy.assignee)))
      v.push(`${where}: an Agreement MUST have one assignee`);
    for (const [i, d] of list(r.duty).entries()) rule(d as Json, `${where}.duty[${i}]`, false);
    for (const [i, d] of list(r.consequence).entries()) rule(d as Json, `${where}.consequence[${i}]`, false);
    for (const [i, d] of list(r.remedy).entries()) rule(d as Json, `${where}.remedy[${i}]`, false);
  };
  const permissions = list(policy.permission);
  const prohibitions = list(policy.prohibition);
  const obligations = list(policy.obligation);
  if (permissions.length + prohibitions.length + obligations.length === 0)
    v.push('a Policy MUST have at least one permission, prohibition or obligation');
  for (const [name, rules] of [
    ['permission', permissions],
    ['prohibition', prohibitions],
    ['obligation', obligations],
  ] as const)
    for (const [i, r] of rules.entries()) rule(r as Json, `${name}[${i}]`, true);
  return v;
}
