# Command-line tools the tests call (curl, openssl), installed from Debian's packages when missing.

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    if [ -z "${KEYWARD_TEST_APT_UPDATED:-}" ]; then
      apt-get update
      export KEYWARD_TEST_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
  else
    echo "missing: $* (install them, or run as root with apt)" >&2
    return 1
  fi
}

ensure_tools() {
  local missing=()
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The cluster suite puts a real nginx in front of several keyward serve processes.
  [ -x "${KEYWARD_TEST_NGINX:-/usr/sbin/nginx}" ] || missing+=(nginx-light)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}"
    apt_install "${missing[@]}"
  fi
}

export KEYWARD_TEST_NGINX="${KEYWARD_TEST_NGINX:-/usr/sbin/nginx}"
