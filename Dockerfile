# One image for every slipway action: static binaries on an empty base.
# Expected size: about 25 MB (four static binaries of ~6 MB each plus a CA bundle).
# Each action's action.yml picks its binary with `entrypoint:`.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# +crt-static links glibc statically: the binaries need no libc in the image (see DESIGN.md).
RUN RUSTFLAGS="-C target-feature=+crt-static" cargo build --locked --release \
        --target x86_64-unknown-linux-gnu \
        --bin version-bump --bin draft-release --bin fetch-assets --bin pypi-publish \
 && mkdir -p /out/bin /out/tmp \
 && cp target/x86_64-unknown-linux-gnu/release/version-bump \
       target/x86_64-unknown-linux-gnu/release/draft-release \
       target/x86_64-unknown-linux-gnu/release/fetch-assets \
       target/x86_64-unknown-linux-gnu/release/pypi-publish /out/bin/

FROM scratch
# Runs as root (the default): the runner's file-command files belong to its user, and a non-root
# USER gets EACCES on GITHUB_OUTPUT.
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tmp /tmp
COPY --from=build /out/bin/ /usr/local/bin/
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp
ENTRYPOINT ["/usr/local/bin/version-bump"]
