# The API as a small static image. modernc.org/sqlite is pure Go, so the
# binary needs no cgo and no C library. cmd/api/compose_test.go checks this
# file statically (no Docker engine runs where the tests do).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/api ./cmd/api

# distroless/static: CA certificates, tzdata and /etc/passwd, no shell; the
# nonroot user's home is where the SQLite default would keep var/.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/api /api
USER nonroot:nonroot
WORKDIR /home/nonroot
EXPOSE 8000
ENV LISTEN_ADDR=0.0.0.0:8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/api", "healthcheck", "/healthz"]
ENTRYPOINT ["/api"]
CMD ["serve"]
