/**
 * The least a server costs in front of bench/api's statement: Fastify and a pg pool (10 connections, the read-only
 * role, named statements, as crypto-etl serve's), one route `GET /api/prices` validating the same query parameters
 * and sending what PostgreSQL rendered, and nothing else (no cache, ETag, security headers, rate limit, logging,
 * client watch or metrics). bench/api runs it beside crypto-etl serve: its throughput over SQL alone's is the
 * ceiling any HTTP server in Node reaches on the machine, printed in the same run as the API's.
 *
 *   node --import tsx bench/bareServer.ts <port> <database url>
 */
import Fastify from 'fastify';
import pg from 'pg';
import { READONLY_ROLE } from '../src/server/readOnlyDb.ts';
import { type PriceRequest, statementOf } from './pricesStatement.ts';

const [port, url] = process.argv.slice(2);
if (!port || !url) throw new Error('usage: bareServer.ts <port> <database url>');

const pool = new pg.Pool({ connectionString: url, max: 10, options: `-c role=${READONLY_ROLE}` });
const names = new Map<string, string>();
const nameOf = (text: string) => {
  let name = names.get(text);
  if (!name) {
    name = `bare_${names.size}`;
    names.set(text, name);
  }
  return name;
};

const app = Fastify({ logger: false });
app.get<{ Querystring: PriceRequest }>(
  '/api/prices',
  {
    schema: {
      querystring: {
        type: 'object',
        required: ['coin', 'from'],
        properties: {
          coin: { type: 'string', maxLength: 100 },
          interval: { type: 'string', enum: ['daily', 'hourly'], default: 'daily' },
          from: { type: 'string', maxLength: 40 },
          to: { type: 'string', maxLength: 40 },
          order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
          limit: { type: 'integer', minimum: 1, maximum: 10_000, default: 1_000 },
        },
      },
    },
  },
  async (request, reply) => {
    const { text, values } = statementOf(request.query);
    const { rows } = await pool.query({ name: nameOf(text), text, values });
    return reply.type('application/json').send(`{"items":${rows[0].items}}`);
  },
);
app.get('/health', async () => ({ ok: true }));
await app.listen({ port: Number(port), host: '127.0.0.1' });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => pool.end()));
}
