# syntax=docker/dockerfile:1
# Suyuan's container image: a static binary (pure Go, no C library) on a
# base with nothing else in it, run as an unprivileged user, with a read-only
# root file system (data and nothing else under /var/lib/suyuan).
#
#   docker build -t suyuan .
#   docker run --read-only -p 8080:8080 -v suyuan-data:/var/lib/suyuan \
#     -e SUYUAN_SECRET=... suyuan
#
# tools/deploy/docker-compose.yml runs it with MariaDB.

FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first: a change of code does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO_ENABLED=0: a static binary that needs no libc in the image (SQLite
# is modernc.org/sqlite, pure Go).
RUN CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags="-s -w" -o /out/suyuan ./cmd/suyuan \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/suyuan /usr/local/bin/suyuan
# The one writable place: the SQLite file (when no MySQL is configured).
COPY --from=build --chown=65532:65532 /out/data /var/lib/suyuan
WORKDIR /var/lib/suyuan
VOLUME ["/var/lib/suyuan"]
USER 65532:65532
ENV SUYUAN_MODE=production \
    SUYUAN_DB=/var/lib/suyuan/suyuan.db \
    SUYUAN_ADDR=:8080
EXPOSE 8080
# No shell or curl in the image: the binary asks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/suyuan", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["/usr/local/bin/suyuan"]
CMD ["serve"]
