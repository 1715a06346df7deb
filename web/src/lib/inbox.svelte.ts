import { api } from './api';

/** The signed-in user's unread notifications, shared by the navigation badge and the inbox page. */
export const inbox = $state({ unread: 0 });

/** Asks the API for the unread count (one small request); failures leave the last count. */
export async function refreshUnread(): Promise<void> {
  try {
    inbox.unread = (await api.notifications({ unread: true, limit: 1 })).unread;
  } catch {
    // The badge is a hint; the inbox page shows errors.
  }
}
