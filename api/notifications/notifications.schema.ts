import { z } from 'zod';

/** `GET /me/notifications?limit=&cursor=&unread=1` */
export const ListNotifications = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
  unread: z
    .enum(['1', '0', 'true', 'false'])
    .optional()
    .transform((v) => v === '1' || v === 'true'),
});
export type ListNotifications = z.infer<typeof ListNotifications>;
