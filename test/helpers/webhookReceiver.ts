import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>`: any path is accepted. */
  url: string;
  /** Every request received, in order, its JSON body parsed. */
  requests: { contentType?: string; body: unknown }[];
  close(): Promise<void>;
}

/**
 * A local stand-in for a Slack/Teams incoming webhook, answering each request with the next status of
 * `statuses` (then 200).
 */
export async function startWebhookReceiver(statuses: number[] = []): Promise<WebhookReceiver> {
  const requests: WebhookReceiver['requests'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      requests.push({ contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.statusCode = statuses.shift() ?? 200;
      res.end(res.statusCode === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
