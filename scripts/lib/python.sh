# Creates (once) a virtualenv with the independent clients the tests use against Keyward
# (cryptography, PyJWT, requests) and the test mail server (aiosmtpd) and exports KEYWARD_TEST_PYTHON.

ensure_python_env() {
  local venv=$1
  local reqs
  reqs="$(dirname "${BASH_SOURCE[0]}")/../../tests/python/requirements.txt"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  if ! cmp -s "$reqs" "$venv/requirements.installed"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$reqs"
    cp "$reqs" "$venv/requirements.installed"
  fi
  export KEYWARD_TEST_PYTHON="$venv/bin/python"
}
