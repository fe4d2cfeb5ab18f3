//! D3: what the Debian package ships is what the binary takes. The packaged configuration parses
//! (an unknown or misspelt key would be refused) and opens a data directory; the unit starts the
//! binary with arguments it accepts, as a dynamic user with only its state directory writable.
//! (`tests/package/install.sh`, run by scripts/test, installs the built package itself.)
#![allow(clippy::unwrap_used)]

fn packaging(name: &str) -> String {
    format!("{}/../../packaging/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn d3_the_packaged_configuration_and_unit_are_what_the_binary_takes() {
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(crate::common::binary())
        .env_remove("KEYWARD_DATABASE_URL")
        .env("KEYWARD_DATA_DIR", data.path())
        .args(["--config", &packaging("keyward.toml"), "admin", "team", "list", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "the packaged keyward.toml: {}", String::from_utf8_lossy(&out.stderr));
    assert!(data.path().join("keyward.db").exists(), "its data directory is where the database goes");

    let unit = std::fs::read_to_string(packaging("keyward.service")).unwrap();
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    assert_eq!(exec, "/usr/bin/keyward --config /etc/keyward/keyward.toml serve");
    for line in [
        "DynamicUser=yes",
        "StateDirectory=keyward",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
        "CapabilityBoundingSet=",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit keeps {line}");
    }
    let help = std::process::Command::new(crate::common::binary()).args(["serve", "--help"]).output().unwrap();
    assert!(help.status.success(), "serve is a command the binary has");
}
