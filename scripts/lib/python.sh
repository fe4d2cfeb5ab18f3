# Creates (once) the virtualenvs of the independent clients the tests use against Keyward:
# - target/test-venv (tests/python/requirements.txt): cryptography, PyJWT, requests, asconnect and
#   the test mail server (aiosmtpd), exported as KEYWARD_TEST_PYTHON;
# - target/codemagic-venv (tests/python/codemagic-requirements.txt): codemagic-cli-tools, which
#   needs a newer cryptography than asconnect allows, exported as KEYWARD_TEST_CODEMAGIC_PYTHON.

# ensure_venv VENV REQUIREMENTS: the virtualenv, with exactly that file's pins installed.
ensure_venv() {
  local venv=$1 reqs=$2
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if ! cmp -s "$reqs" "$venv/requirements.installed"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$reqs"
    cp "$reqs" "$venv/requirements.installed"
  fi
}

ensure_python_env() {
  local target=$1
  local here
  here="$(dirname "${BASH_SOURCE[0]}")/../../tests/python"
  ensure_venv "$target/test-venv" "$here/requirements.txt"
  export KEYWARD_TEST_PYTHON="$target/test-venv/bin/python"
  ensure_venv "$target/codemagic-venv" "$here/codemagic-requirements.txt"
  export KEYWARD_TEST_CODEMAGIC_PYTHON="$target/codemagic-venv/bin/python"
}
