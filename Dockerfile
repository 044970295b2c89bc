# syntax=docker/dockerfile:1
# driftline image: the first stage installs the production dependencies; the runtime stage compiles
# src/ into dist/ once with esbuild (bin/load.js, the same build the CLI does on its own when src/
# changed), so the read-only image starts without compiling anything.
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
# Owned by root and read-only for the runtime user.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY src ./src
RUN node --input-type=module -e "const { ensureDist } = await import('/app/bin/load.js'); await ensureDist('/app/src', '/app/dist');" \
 && test -f /app/dist/cli/main.js
COPY deploy/config/driftline.yaml /etc/driftline/driftline.yaml
# The base image's unprivileged `node` user, numerically (Kubernetes runAsNonRoot can verify it).
USER 1000:1000
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DRIFTLINE_METRICS_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/driftline.js"]
CMD ["run", "-c", "/etc/driftline/driftline.yaml"]
