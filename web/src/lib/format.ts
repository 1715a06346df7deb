/** "1.4 MB" style sizes (SI units, as file managers show them). */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A date as "24 Nov 2025" (or a dash). */
export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** A date and time, for things like "last used". */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The first and last characters of a long hash. */
export function shortHash(hex: string | null | undefined, head = 10, tail = 6): string {
  if (!hex) return '—';
  return hex.length <= head + tail + 1 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** A share (0…1) as a whole percentage; '—' when there is none (e.g. no decided requests). */
export const formatShare = (x: number | null) => (x === null ? '—' : `${Math.round(x * 100)} %`);

/** A duration in hours, as days from two days on; '—' when there is none. */
export const formatHours = (h: number | null) =>
  h === null ? '—' : h >= 48 ? `${(h / 24).toFixed(1)} days` : `${h.toFixed(1)} hours`;
