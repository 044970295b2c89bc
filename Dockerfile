# syntax=docker/dockerfile:1
# driftline image: the CLI runs its TypeScript sources through tsx (a runtime dependency), so there
# is no build step; the first stage only installs the production dependencies.
#
#   docker build -t driftline .
#   docker run --rm -v $PWD/my.yaml:/etc/driftline/driftline.yaml:ro -e DRIFTLINE_KAFKA_BROKERS=kafka:9092 -p 9464:9464 driftline
#   docker run --rm driftline validate -c /etc/driftline/driftline.yaml

ARG NODE_IMAGE=node:20-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency needs an install script (esbuild, under tsx, ships its binary
# as a platform package); keeps the build hermetic.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="driftline" \
      org.opencontainers.image.description="Streaming drift and training/serving skew detection for ML models on Kafka" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production \
    DRIFTLINE_METRICS_HOST=0.0.0.0 \
    DRIFTLINE_METRICS_PORT=9464
WORKDIR /app
# Owned by root and read-only for the runtime user; tsx writes its cache to /tmp only.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY src ./src
COPY deploy/config/driftline.yaml /etc/driftline/driftline.yaml
# The base image's unprivileged `node` user, numerically (Kubernetes runAsNonRoot can verify it).
USER 1000:1000
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DRIFTLINE_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/driftline.js"]
CMD ["run", "-c", "/etc/driftline/driftline.yaml"]
