import type {} from 'pino-http';
import type { Ctx } from './context.ts';

declare global {
  namespace Express {
    interface Request {
      /** Set by `authenticate` on every API request. */
      ctx: Ctx;
    }
  }
}

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    returnTo?: string;
  }
}
