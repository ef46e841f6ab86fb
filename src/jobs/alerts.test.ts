import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingLogger } from '../../test/helpers/capturingLogger.ts';
import { testConfig } from '../../test/helpers/config.ts';
import { openTestDb } from '../../test/helpers/databases.ts';
import { startWebhookReceiver } from '../../test/helpers/webhookReceiver.ts';
import { createApp } from '../app.ts';
import { silentLogger } from '../internal/logger.ts';
import { createAlertSender } from './alerts.ts';
import type { JobDefinition, JobResult } from './defineJob.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A webhook receiver closed after the test. */
async function receiver(statuses: number[] = []) {
  const hook = await startWebhookReceiver(statuses);
  closers.push(() => void hook.close());
  return hook;
}

/** Just enough SMTP to take one message: what nodemailer sends, captured. */
async function smtpServer() {
  const messages: string[] = [];
  const server = createTcpServer((socket) => {
    let data: string | undefined;
    socket.write('220 test ESMTP\r\n');
    socket.on('data', (chunk) => {
      for (const line of chunk
        .toString()
        .split('\r\n')
        .filter((l, i, all) => l || i < all.length - 1)) {
        if (data !== undefined) {
          if (line === '.') {
            messages.push(data);
            data = undefined;
            socket.write('250 queued\r\n');
          } else data += `${line}\n`;
        } else if (/^DATA/i.test(line)) {
          data = '';
          socket.write('354 go on\r\n');
        } else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return { url: `smtp://127.0.0.1:${(server.address() as AddressInfo).port}`, messages };
}

const job = { name: 'coingecko-prices', retries: 3 } as JobDefinition;
const failed: JobResult = {
  job: 'coingecko-prices',
  status: 'failed',
  error: 'ETL_UPSTREAM_HTTP: CoinGecko answered HTTP 503',
  runs: [
    {
      runId: 7,
      job: 'coingecko-prices',
      stream: 'coingecko.prices',
      status: 'failed',
      rowsExtracted: 10,
      rowsLoaded: 10,
      rowsRejected: 0,
      error: 'ETL_UPSTREAM_HTTP: CoinGecko answered HTTP 503',
      durationMs: 5,
    },
  ],
};

describe('alerts', () => {
  it('behavior: a job failure posts one {"text"} JSON message (Slack and Teams accept it) and logs it', async () => {
    const hook = await receiver();
    const { log, lines } = capturingLogger();
    const alerts = createAlertSender({ config: testConfig({ ALERT_WEBHOOK_URL: `${hook.url}/hook` }), log });
    await alerts.jobFailed(failed, job);
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0]?.contentType).toBe('application/json');
    const body = hook.requests[0]?.body as { text: string };
    expect(Object.keys(body)).toEqual(['text']);
    expect(body.text).toContain('crypto-etl: job coingecko-prices failed');
    expect(body.text).toContain('Error: ETL_UPSTREAM_HTTP: CoinGecko answered HTTP 503');
    expect(body.text).toContain('- coingecko.prices: failed, 10 rows loaded');
    expect(lines.some((l) => String(l.msg).startsWith('ALERT: crypto-etl: job coingecko-prices failed'))).toBe(true);
  });

  it('behavior: a 5xx from the webhook is retried; the message arrives once', async () => {
    const hook = await receiver([503]);
    const alerts = createAlertSender({
      config: testConfig({ ALERT_WEBHOOK_URL: hook.url }),
      log: capturingLogger().log,
      retryBaseMs: 10,
    });
    await alerts.send({ subject: 's', text: 't' });
    expect(hook.requests).toHaveLength(2);
  });

  it('error: a revoked hook (404) is not retried; the failure is logged without the hook URL and nothing throws', async () => {
    const hook = await receiver([404]);
    const secretPath = '/services/T000/B000/abcdefghijklmnopqrstuvwxyz012345';
    const { log, lines } = capturingLogger();
    const alerts = createAlertSender({ config: testConfig({ ALERT_WEBHOOK_URL: `${hook.url}${secretPath}` }), log });
    await expect(alerts.send({ subject: 's', text: 't' })).resolves.toBeUndefined();
    expect(hook.requests).toHaveLength(1);
    const failure = lines.find((l) => l.code === 'ETL_ALERT_FAILED');
    expect(failure).toMatchObject({ problem: 'HTTP 404' });
    expect(JSON.stringify(lines)).not.toContain('abcdefghijklmnopqrstuvwxyz012345');
  });

  it('behavior: with SMTP_URL and ALERT_EMAIL_TO the alert is also e-mailed', async () => {
    const smtp = await smtpServer();
    const alerts = createAlertSender({
      config: testConfig({
        SMTP_URL: smtp.url,
        ALERT_EMAIL_TO: 'ops@example.com',
        ALERT_EMAIL_FROM: 'etl@example.com',
      }),
      log: capturingLogger().log,
    });
    await alerts.jobFailed(failed, job);
    await alerts.close();
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0]).toContain('Subject: crypto-etl: job coingecko-prices failed');
    expect(smtp.messages[0]).toContain('To: ops@example.com');
    expect(smtp.messages[0]).toContain('ETL_UPSTREAM_HTTP: CoinGecko answered HTTP 503');
  });
});

describe('alerts from the inline executor', () => {
  it('behavior: a job failing after its retries alerts once through the app default (no onFinalFailure given)', async () => {
    const hook = await receiver();
    const testDb = await openTestDb('postgres');
    const config = testConfig({
      ALERT_WEBHOOK_URL: hook.url,
      COINGECKO_API_URL: 'http://127.0.0.1:1/api/v3',
      HTTP_MAX_RETRIES: '0',
    });
    const app = await createApp({ config, log: silentLogger(), db: testDb.db, migrate: false, retryBaseMs: 10 });
    try {
      expect(app.executor.kind).toBe('inline');
      const result = await (await app.executor.trigger('coingecko-coins', { retries: 1 })).done;
      expect(result.status).toBe('failed');
      expect(hook.requests).toHaveLength(1);
      expect(hook.requests[0]?.body).toMatchObject({ text: expect.stringContaining('job coingecko-coins failed') });
    } finally {
      await app.close();
      await testDb.close();
    }
  });
});
