# Wegweiser in a container. node runs the controller directly (exec-form CMD: it is PID 1 and gets `docker stop`'s
# SIGTERM itself), as an unprivileged user, with all state in the /data volume.
#
#   docker build -t wegweiser .
#   docker run -d --name wegweiser -p 8080:8080 -p 1883:1883 -v wegweiser-data:/data \
#     -e WEGWEISER_PUBLIC_URL=https://wegweiser.example.org wegweiser
#   docker logs wegweiser        # the first start prints the admin's one-time password
#
# Inside a container the admin UI and the embedded broker must listen on every interface (0.0.0.0) to be reachable
# through the published ports; the service's default is 127.0.0.1. Set WEGWEISER_PUBLIC_URL: the address the door
# signs' QR codes carry (the container's own address is not one phones can reach).
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    WEGWEISER_DATA=/data \
    WEGWEISER_HTTP_HOST=0.0.0.0 \
    WEGWEISER_HTTP_PORT=8080 \
    WEGWEISER_MQTT_HOST=0.0.0.0 \
    WEGWEISER_MQTT_PORT=1883 \
    WEGWEISER_LOG_FORMAT=json

WORKDIR /app
# Dependencies first (a layer that changes only with the lock file); TypeScript runs through tsx, a runtime
# dependency, so there is no build step and no dev dependency in the image.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY bin ./bin
COPY controller ./controller
COPY renderer ./renderer
COPY firmware-sim ./firmware-sim
COPY web-admin ./web-admin

RUN groupadd --system wegweiser \
 && useradd --system --gid wegweiser --home-dir /data --no-create-home --shell /usr/sbin/nologin wegweiser \
 && mkdir -p /data && chown wegweiser:wegweiser /data && chmod 0700 /data
USER wegweiser
VOLUME ["/data"]
EXPOSE 8080 1883

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.WEGWEISER_HTTP_PORT}/api/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

CMD ["node", "bin/wegweiser.js", "start"]
