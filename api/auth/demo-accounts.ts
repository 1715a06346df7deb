/** The development IdP's accounts. The demo seed gives them their roles in the demo community. */
export const demoAccounts = [
  { id: 'steward', email: 'steward@example.org', name: 'Sam Steward', role: 'steward of the demo community' },
  { id: 'builder', email: 'builder@example.org', name: 'Bea Builder', role: 'AI builder (no role)' },
  // A second reviewer: the demo's gated dataset is under a licence that needs two approvals.
  {
    id: 'reviewer',
    email: 'reviewer@example.org',
    name: 'Rua Reviewer',
    role: 'reviewer of the demo community',
  },
  { id: 'auditor', email: 'auditor@example.org', name: 'Ari Auditor', role: 'auditor of the demo community' },
  { id: 'admin', email: 'admin@example.org', name: 'Ada Admin', role: 'platform admin' },
] as const;
