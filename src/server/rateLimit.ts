import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { EtlError } from '../internal/errors.ts';

/**
 * At most `API_RATE_LIMIT_PER_MIN` requests a minute per client address (behind a proxy: the address
 * API_TRUST_PROXY lets Fastify read from X-Forwarded-For), then 429 `ETL_API_RATE_LIMITED` with `Retry-After`.
 * `/health` is exempt, for probes. Counted in this process: N servers behind a balancer allow N times as much.
 * Registered before the routes it applies to.
 */
export async function registerRateLimit(server: FastifyInstance, api: Config['api']): Promise<void> {
  if (api.rateLimitPerMin === 0) return;
  await server.register(rateLimit, {
    max: api.rateLimitPerMin,
    timeWindow: 60_000,
    allowList: (request) => request.url === '/health',
    errorResponseBuilder: (request, context) =>
      new EtlError(
        'ETL_API_RATE_LIMITED',
        `More than ${context.max} requests a minute from ${request.ip}: try again in ${context.after} (API_RATE_LIMIT_PER_MIN)`,
        { retryable: true },
      ),
  });
}
