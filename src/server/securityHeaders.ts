import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

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

/**
 * Security headers on every answer (@fastify/helmet): the CSP above, `X-Content-Type-Options: nosniff`,
 * `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`, cross-origin isolation of resources. Left out: HSTS
 * and `upgrade-insecure-requests`, since the server speaks plain HTTP (HTTPS is the terminating proxy's to set).
 */
export async function registerSecurityHeaders(server: FastifyInstance): Promise<void> {
  await server.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  });
}
