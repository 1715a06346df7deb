/** `steward audit verify`: recompute the audit tree and check every signed checkpoint. */
import { verifyLog } from '../api/audit/verify.ts';
import type { Db } from '../db/index.ts';

export const auditUsage =
  'audit verify                            recompute the audit log; exit 1 naming the first bad event';

/** Prints the report; returns the exit code (0 all well, 1 tampering found). */
export async function auditCommand(db: Db, sub: string | undefined, databaseUrl?: string): Promise<number> {
  if (sub !== 'verify') {
    console.error(`usage: steward ${auditUsage}`);
    return 2;
  }
  const r = await verifyLog(db, { databaseUrl, onWarning: (m) => console.error(`warning: ${m}`) });
  const rate = r.ms > 0 ? Math.round((r.events / r.ms) * 1000) : 0;
  if (r.ok) {
    console.log(
      `audit log OK: ${r.events} events, ${r.checkpoints} signed checkpoints verified` +
        `${r.pending ? `, ${r.pending} not yet integrated` : ''} (${Math.round(r.ms)} ms, ${rate} events/s)`,
    );
    return 0;
  }
  console.error(`audit log FAILED: first bad event: ${r.problems[0]}`);
  for (const p of r.problems.slice(1)) console.error(`  also: ${p}`);
  return 1;
}
