# meshmem as a container image, for running sweeps on a cluster
# (see deploy/kubernetes/sweep-job.yaml and the README).
#
#   docker build -t meshmem:0.1 .
#   docker run --rm -v "$PWD/output:/results" meshmem:0.1 run --out /results
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY assets ./assets
RUN cargo build --release --locked --bin meshmem

FROM debian:bookworm-slim
COPY --from=build /src/target/release/meshmem /usr/local/bin/meshmem
COPY scenarios /scenarios
WORKDIR /work
# Unprivileged: meshmem writes only under --out.
USER 65532:65532
ENTRYPOINT ["meshmem"]
CMD ["run", "/scenarios", "--out", "/results", "--quiet"]
