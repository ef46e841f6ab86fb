import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

/**
 * What pages of this server may load: only their own origin's scripts (the dashboard's modules, ECharts from
 * /vendor, Swagger UI's and Bull Board's bundles), no inline script, no plugins, no framing. Styles may be
 * inline: ECharts writes its tooltips as HTML with style attributes, Bull Board its loading screen. Images may be
 * data: URLs (Swagger UI's logo, ECharts' "save as image").
 */
export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  frameguard: { action: 'deny' },
  strictTransportSecurity: false,
} as const;

/** Headers every answer carries whatever its content: helmet's, with nothing of a particular answer. */
const PER_ANSWER = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * Security headers on every answer (@fastify/helmet): the CSP above, `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, cross-origin isolation of resources. Left out: HSTS
 * and `upgrade-insecure-requests`, since the server speaks plain HTTP (HTTPS is the terminating proxy's to set).
 * NOTE: @fastify/helmet builds helmet's middleware again for every request (parsing the CSP each time: 4 % of
 * the server's time under bench/api); the headers depend only on the options, so they are taken once from an
 * answer of a server of its own and set as they are, among the reply's own headers: Node checks them once, when
 * the reply is written (set on the raw response, each was checked and kept apart as it was set, and the reply's
 * headers were then set onto them one by one).
 */
export async function registerSecurityHeaders(server: FastifyInstance): Promise<void> {
  const probe = Fastify();
  await probe.register(helmet, HELMET_OPTIONS);
  probe.get('/', async () => '');
  const answer = await probe.inject('/');
  await probe.close();
  const headers = Object.entries(answer.headers).filter(([name]) => !PER_ANSWER.has(name)) as [string, string][];
  server.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of headers) reply.header(name, value);
    done();
  });
}
