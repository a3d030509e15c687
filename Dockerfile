# Procura server image: the DSFR from npm, the Go binary with everything
# embedded, on a minimal base.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=frontend /src/node_modules ./node_modules
RUN make frontend && CGO_ENABLED=0 go build -trimpath -o /out/procura ./cmd/procura \
 && CGO_ENABLED=0 go build -trimpath -o /out/fc-sandbox ./cmd/fc-sandbox \
 && CGO_ENABLED=0 go build -trimpath -o /out/demo-service ./cmd/demo-service

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/procura /out/fc-sandbox /out/demo-service /usr/local/bin/
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/procura"]
CMD ["serve"]
