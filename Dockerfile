# The API as a small static image. modernc.org/sqlite is pure Go, so the
# binary needs no cgo and no C library.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/api ./cmd/api

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/api /api
WORKDIR /home/nonroot
EXPOSE 8000
ENV LISTEN_ADDR=0.0.0.0:8000
ENTRYPOINT ["/api"]
CMD ["serve"]
