# bamboo appliance: one process (bamboo, PID 1) supervising Debian's HAProxy 2.6.
# Build:  docker build -t bamboo .        (or scripts/image, without a Docker engine)
# Run:    docker run --net=host -e MARATHON_ENDPOINT=http://marathon:8080 bamboo
# Every setting is an environment variable; see `docker run --rm bamboo --help`.

# --- builder: Debian's Node.js and npm fetch Bun and the libraries from the npm registry.
FROM debian:bookworm-slim AS builder
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm ca-certificates \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a source change does not re-download them. A build machine behind a
# TLS-inspecting proxy passes its CA bundle as a secret (never stored in a layer):
#   docker build --secret id=ca-certificates,src=/etc/ssl/certs/ca-certificates.crt .
COPY package.json package-lock.json ./
RUN --mount=type=secret,id=ca-certificates \
    if [ -s /run/secrets/ca-certificates ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-certificates; fi \
 && npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npm run build && ./dist/bamboo version

# --- runtime: slim Debian, HAProxy, the one executable. No shell wrapper, no supervisord:
# bamboo is PID 1, reaps orphans, and stops HAProxy in order on SIGTERM.
FROM debian:bookworm-slim
# libcap2-bin is needed only to set the capability, so it is removed in the same layer.
# cap_net_bind_service lets HAProxy, run by the unprivileged user, bind ports 80 and 443.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends haproxy libcap2-bin \
 && setcap cap_net_bind_service=+ep /usr/sbin/haproxy \
 && DEBIAN_FRONTEND=noninteractive apt-get purge -y --auto-remove libcap2-bin \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/bamboo --shell /usr/sbin/nologin bamboo \
 && install -d -o bamboo -g bamboo -m 0750 /var/lib/bamboo
COPY --from=builder /src/dist/bamboo /usr/local/bin/bamboo
COPY image/healthcheck /usr/local/lib/bamboo/healthcheck
COPY image/marathon.json templates/haproxy.cfg.hbs /usr/share/bamboo/
ENV BAMBOO_DATA_DIR=/var/lib/bamboo \
    BAMBOO_BIND=:8000 \
    HAPROXY_HTTP_BIND=:80 \
    HAPROXY_HTTPS_BIND=:443
USER bamboo
WORKDIR /var/lib/bamboo
VOLUME ["/var/lib/bamboo"]
EXPOSE 80 443 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/lib/bamboo/healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/bamboo"]
CMD ["serve"]
