import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const echartsDist = dirname(createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js'));

/** The dashboard: static files from src/web at `/`, and ECharts from node_modules (no CDN, works offline). */
export const webRoutes: FastifyPluginAsync = async (server) => {
  // wildcard: false routes exactly the files of src/web, so nothing else under `/` is shadowed.
  await server.register(fastifyStatic, { root: webRoot, prefix: '/', index: 'index.html', wildcard: false });
  server.get('/vendor/echarts.min.js', { schema: { hide: true } }, (_request, reply) =>
    reply.sendFile('echarts.min.js', echartsDist, { maxAge: '1d' }),
  );
};
