# Installs the Node clients the tests run (jose, pinned by tests/node/package-lock.json) and
# exports KEYWARD_TEST_NODE.

ensure_node_clients() {
  local dir
  dir="$(dirname "${BASH_SOURCE[0]}")/../../tests/node"
  if ! command -v node >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "no Node.js found: installing Debian's nodejs and npm packages"
      apt_install nodejs npm
    else
      echo "no Node.js: install it, or run as root with apt" >&2
      return 1
    fi
  fi
  (cd "$dir" && npm ci --silent --no-audit --no-fund)
  export KEYWARD_TEST_NODE
  KEYWARD_TEST_NODE="$(command -v node)"
}
