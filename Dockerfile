# epp-bridge image: the bridge (`serve`), `render`, `dev-epp` and `pick`.
#   docker build -t epp-bridge:0.1.0 .
# The runtime stage has only the shared libraries the binary needs
# (tests/k8s/check.sh checks this with ldd against the package list below),
# runs as uid 101 / gid 1001 and writes nothing, so it works with a
# read-only root filesystem.

FROM debian:bookworm-slim AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        cmake ninja-build g++ pkg-config \
        libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc \
        libboost-dev libboost-system-dev libcli11-dev libspdlog-dev libfmt-dev \
        prometheus-cpp-dev libyaml-cpp-dev libssl-dev libnghttp2-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY proto/ proto/
COPY src/ src/
# Compiled into `render` (src/render/embed_files.cmake).
COPY deploy/nginx/ deploy/nginx/
COPY njs/ njs/
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DEPP_BRIDGE_TESTS=OFF \
    && cmake --build build --target epp-bridge \
    && strip build/epp-bridge

FROM debian:bookworm-slim
# Runtime libraries of build/epp-bridge (one package per soname family).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libabsl20220623 \
        libc-ares2 \
        libfmt9 \
        libgrpc++1.51 \
        libgrpc29 \
        libnghttp2-14 \
        libprometheus-cpp-core1.0 \
        libprotobuf32 \
        libre2-9 \
        libspdlog1.10 \
        libssl3 \
        libyaml-cpp0.7 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/epp-bridge /usr/local/bin/epp-bridge
# NGINX Gateway Fabric runs its shim as `/usr/bin/gateway endpoint-picker ...`;
# with this name the image runs in the shim's place unchanged (docs/ngf.md).
RUN ln -s /usr/local/bin/epp-bridge /usr/bin/gateway
# The same ids as NGINX Gateway Fabric's data plane; no home, no shell.
USER 101:1001
EXPOSE 54800 54801
ENTRYPOINT ["/usr/local/bin/epp-bridge"]
CMD ["serve"]
