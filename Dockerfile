# billingd container image: a static binary on an empty base.
#   docker build --build-arg VERSION=$(git describe --tags --always) --build-arg REVISION=$(git rev-parse HEAD) \
#     -t registry.example.com/billingd/billingd:$(git describe --tags --always) .
# VERSION and REVISION are what `billingd version` and billingd_build_info report (.git is not
# copied into the build, so Go cannot read them itself).
# Time-zone data is embedded in the binary (time/tzdata) and the CA bundle is copied from the
# build stage, so the final image needs nothing else. It runs as the unprivileged
# 65532:65532, the user the Kubernetes manifests ask for.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG REVISION=""
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags="-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" -o /out/billingd ./cmd/billingd

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/billingd /billingd
USER 65532:65532
EXPOSE 8080
ENV BILLINGD_HTTP_ADDR=0.0.0.0:8080
ENTRYPOINT ["/billingd"]
CMD ["serve"]
