import { loadSession } from '$lib/session.svelte';
import type { LayoutLoad } from './$types';

// A single-page app: everything renders in the browser, the API serves index.html for unknown paths.
export const ssr = false;
export const prerender = false;

export const load: LayoutLoad = async () => {
  // Once per page load: every page can then rely on `session` being known.
  await loadSession();
  return {};
};
