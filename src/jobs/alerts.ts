import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type nodemailerModule from 'nodemailer';
import type { Common } from '../common.ts';
import { redactUrl } from '../internal/redact.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';

export interface Alert {
  /** One line: the e-mail subject and the first line of the chat message. */
  subject: string;
  /** The details, plain text. */
  text: string;
}

export interface AlertSender {
  /** Logs the alert and posts it to every configured channel; never throws (a failed alert is logged). */
  send(alert: Alert): Promise<void>;
  /** The `onFinalFailure` of both executors: one alert for a job that failed after its retries. */
  jobFailed(result: JobResult, job: JobDefinition): Promise<void>;
  close(): Promise<void>;
}

const WEBHOOK_ATTEMPTS = 3;
const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Alerts to `ALERT_WEBHOOK_URL` (Slack and Teams incoming webhooks both take `{"text": "…"}`), to e-mail when
 * `SMTP_URL` and `ALERT_EMAIL_TO` are set (nodemailer), and always to the log.
 */
export function createAlertSender(deps: {
  config: Pick<Common['config'], 'alerts'>;
  log: Common['log'];
  /** Base of the backoff between webhook attempts (default 1 s); tests shorten it. */
  retryBaseMs?: number;
}): AlertSender {
  const { webhookUrl, smtpUrl, emailFrom, emailTo } = deps.config.alerts;
  const log = deps.log.child({ component: 'alerts' });
  const baseMs = deps.retryBaseMs ?? 1_000;
  if (smtpUrl && !emailTo) log.warn('SMTP_URL is set but ALERT_EMAIL_TO is empty: no e-mail alerts are sent');
  // nodemailer is loaded only where e-mail alerts are configured (~40 modules every other start would pay for).
  const mailer =
    smtpUrl && emailTo
      ? (createRequire(import.meta.url)('nodemailer') as typeof nodemailerModule).createTransport(smtpUrl)
      : undefined;

  async function postWebhook(url: string, alert: Alert): Promise<void> {
    const body = JSON.stringify({ text: `*${alert.subject}*\n${alert.text}` });
    let problem = '';
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        });
        await response.text();
        if (response.ok) return;
        problem = `HTTP ${response.status}`;
        // A 4xx other than 429 is a wrong URL or a revoked hook: trying again will not help.
        if (response.status < 500 && response.status !== 429) break;
      } catch (error) {
        problem =
          (error as Error).name === 'TimeoutError' ? `no answer within ${WEBHOOK_TIMEOUT_MS} ms` : String(error);
      }
      if (attempt < WEBHOOK_ATTEMPTS) await sleep(baseMs * 2 ** (attempt - 1));
    }
    log.error(
      { code: 'ETL_ALERT_FAILED', webhook: redactUrl(url), problem },
      'alert webhook failed: check ALERT_WEBHOOK_URL (the hook may have been revoked)',
    );
  }

  async function sendMail(alert: Alert): Promise<void> {
    try {
      await mailer?.sendMail({
        from: emailFrom ?? `crypto-etl <crypto-etl@${hostname()}>`,
        to: emailTo,
        subject: alert.subject,
        text: alert.text,
      });
    } catch (error) {
      log.error(
        { code: 'ETL_ALERT_FAILED', smtp: redactUrl(smtpUrl ?? ''), problem: (error as Error).message },
        'alert e-mail failed: check SMTP_URL, ALERT_EMAIL_FROM and ALERT_EMAIL_TO',
      );
    }
  }

  const sender: AlertSender = {
    async send(alert) {
      log.error({ alert: alert.subject, details: alert.text }, `ALERT: ${alert.subject}`);
      await Promise.all([
        webhookUrl ? postWebhook(webhookUrl, alert) : undefined,
        mailer ? sendMail(alert) : undefined,
      ]);
    },
    jobFailed: (result, job) => sender.send(jobFailedAlert(result, job)),
    async close() {
      mailer?.close();
    },
  };
  return sender;
}

/** The alert for a job that failed after its retries: what failed, where, and each step's outcome. */
export function jobFailedAlert(result: JobResult, job: JobDefinition): Alert {
  const lines = [`Job ${job.name} failed on ${hostname()} and has no retries left.`];
  if (result.error) lines.push(`Error: ${result.error}`);
  for (const run of result.runs) {
    lines.push(
      `- ${run.stream}: ${run.status}, ${run.rowsLoaded} rows loaded${run.error ? ` (${run.error.split('\n')[0]})` : ''}`,
    );
  }
  lines.push('Run `crypto-etl status` for the history; the next scheduled run tries again.');
  return { subject: `crypto-etl: job ${job.name} failed`, text: lines.join('\n') };
}
