# One image for every slipway action: the released static multi-call binary on an empty base.
# Nothing is compiled here: the build context holds exactly the binary, a CA bundle and an empty
# tmp/ (scripts/image-context lays it out). The release workflow builds it from the release's own
# `slipway-x86_64-linux` asset, downloaded and verified with fetch-assets, so the image carries
# the released bytes; scripts/check-image builds it from a fresh static build and checks it.
# Expected size: about 7.5 MB (the binary, 7.3 MB, plus a 0.2 MB CA bundle).
# Each action.yml runs `/usr/local/bin/slipway <tool>` (see actions/*/action.yml).
FROM scratch
# Runs as root (the default): the runner's file-command files belong to its user, and a non-root
# USER gets EACCES on GITHUB_OUTPUT.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY tmp /tmp
COPY slipway /usr/local/bin/slipway
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    TMPDIR=/tmp
ENTRYPOINT ["/usr/local/bin/slipway"]
