# docker-watcher as a container on the Docker host (TrueNAS SCALE, or any host with Docker).
# Multi-stage: build with dev dependencies, run with production dependencies only.
# NODE_IMAGE only exists so tests without internet can build FROM a local stand-in image
# (test/helpers/node-base-image.ts); everyone else gets the official node:24-slim.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY app ./app
COPY src ./src
COPY scripts/bundle-app.mjs scripts/build-if-stale.mjs ./scripts/
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    DOCKER_WATCHER_CONFIG=/config/docker-watcher.yaml
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
# Runs as the unprivileged `node` user; compose adds the group that owns the Docker socket
# (group_add), so no root is needed to talk to the engine. /config mirrors the compose folder, so
# the default data_dir (./data, relative to the config file) is /config/data.
RUN mkdir -p /config/data && chown node:node /config/data
USER node
EXPOSE 8080
# The probe reads global.listen from the same config as serve, so another port needs no change here.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "dist/bundle/main.js", "healthcheck"]
# A young generation of 1 MB per semi-space (V8's default grows to 16 MB): idle RSS about 14 MB
# lower, and a flood of refused requests grows RSS by about 20 MB instead of about 100 MB (npm run
# bench -- idle flood); the same flag is in package.json's start script.
ENTRYPOINT ["node", "--max-semi-space-size=1", "dist/bundle/main.js"]
CMD ["serve"]
