import { createTransport } from 'nodemailer';

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/** Sends one e-mail; rejects when the server did not accept it (the outbox then retries). */
export interface Mailer {
  send(mail: Mail): Promise<void>;
  close(): void;
}

/**
 * An SMTP mailer for `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…:465`), sending from `from`.
 * Short timeouts, so that a dead server fails a run quickly instead of holding it.
 */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = createTransport({
    url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transport.close(),
  };
}
