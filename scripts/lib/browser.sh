# The browser suite's needs: Debian's Chromium (never a downloaded browser) and the e2e packages
# pinned by e2e/package-lock.json (playwright-core, axe-core, jose).

ensure_browser() {
  if [ ! -x "${KEYWARD_TEST_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "no Chromium found: installing Debian's chromium package"
    apt_install chromium
  fi
  export KEYWARD_TEST_CHROMIUM="${KEYWARD_TEST_CHROMIUM:-/usr/bin/chromium}"
  (cd "$(dirname "${BASH_SOURCE[0]}")/../../e2e" && npm ci --silent --no-audit --no-fund)
}
