# Roster in a container: a static binary on a distroless base, run as a
# non-root user, its SQLite store in the /data volume.
#
#   docker build -t roster .
#   docker run -d -p 8080:8080 -v roster-data:/data roster
#   docker exec <container> roster team create --name Acme --admin-email admin@acme.example
#
# See docs/deploy.md (TLS, PostgreSQL, metrics) and docs/operations.md.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static: no cgo (the SQLite driver is pure Go, WebAssembly-based), no
# libc; -trimpath and the VCS stamp give `roster version` its revision.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/roster ./cmd/roster
RUN /out/roster version && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/roster /usr/local/bin/roster
# The store: the data dir (SQLite) lives on a volume, owned by the
# nonroot user (uid 65532) of the base image (a new named volume takes
# the ownership of the image's directory).
COPY --from=build --chown=65532:65532 /out/data /data
ENV ROSTER_DATA_DIR=/data \
    ROSTER_ADDR=:8080 \
    ROSTER_METRICS_ADDR=:9090
VOLUME /data
WORKDIR /data
USER nonroot:nonroot
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/roster", "healthcheck", "--url", "http://127.0.0.1:8080/healthz/ready"]
ENTRYPOINT ["/usr/local/bin/roster"]
CMD ["serve"]
