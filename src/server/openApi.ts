import type { SwaggerOptions } from '@fastify/swagger';

/** The OpenAPI 3.1 document @fastify/swagger builds from the route schemas, served at /docs/json. */
export const openApiOptions: SwaggerOptions = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'crypto-etl API',
      description:
        'Market prices, CoW Protocol trades, chain activity and the pipeline’s own runs. Every table endpoint is ' +
        'paginated (`limit`, `offset`, `nextOffset`) and answers CSV with `format=csv`. See docs/api.md.',
      version: '1',
    },
    tags: [
      { name: 'market', description: 'CoinGecko coins, market overview and prices' },
      { name: 'cow', description: 'CoW Protocol trades (Dune)' },
      { name: 'chain', description: 'Blocks, gas and ERC-20 transfers (EVM JSON-RPC)' },
      { name: 'pipeline', description: 'Runs, checkpoints and data quality' },
      { name: 'jobs', description: 'The job catalogue and manual triggers' },
      { name: 'status', description: 'Health, status and metrics' },
    ],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'The API_TOKEN the server was started with' },
      },
    },
  },
};
