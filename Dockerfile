# One image for every slipway action: one static multi-call binary on an empty base.
# Expected size: about 7.5 MB (the static `slipway` binary, 7.3 MB, plus a 0.2 MB CA bundle).
# Each action.yml runs `/usr/local/bin/slipway <tool>` (see actions/*/action.yml).

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# +crt-static links glibc statically: the binary needs no libc in the image (see DESIGN.md).
RUN RUSTFLAGS="-C target-feature=+crt-static" cargo build --locked --release \
        --target x86_64-unknown-linux-gnu --bin slipway \
 && mkdir -p /out/bin /out/tmp \
 && cp target/x86_64-unknown-linux-gnu/release/slipway /out/bin/

FROM scratch
# Runs as root (the default): the runner's file-command files belong to its user, and a non-root
# USER gets EACCES on GITHUB_OUTPUT.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build /out/bin/ /usr/local/bin/
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp
ENTRYPOINT ["/usr/local/bin/slipway"]
