# syntax=docker/dockerfile:1
# crypto-etl image: one image for every role (init, scheduler, worker, server); the command picks the role.
# The build stage type-checks the TypeScript, compiles it to dist/ (scripts/build.mjs) and keeps
# only the production dependencies; the runtime stage runs the built JavaScript, no compiler at start-up.

# Node 24 LTS: the suite runs on it in CI (.ci/run) besides the machines' Node 20, which is past its end of life.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY src ./src
RUN npx tsc --noEmit \
  && node scripts/build.mjs \
  && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    LOG_DIR=
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
# `crypto-etl` on the PATH; /data holds PGlite when no DATABASE_URL is set (a single-container run).
RUN ln -s /app/bin/crypto-etl.mjs /usr/local/bin/crypto-etl \
  && mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
ENTRYPOINT ["crypto-etl"]
CMD ["start"]
