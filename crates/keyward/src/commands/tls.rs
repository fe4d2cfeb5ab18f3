//! `keyward tls init`: a local CA and a certificate for api.appstoreconnect.apple.com, and exactly
//! how to make clients trust and reach it.

use std::path::{Path, PathBuf};

use crate::cli::TlsInitArgs;
use crate::config::Config;
use crate::error::CliError;

/// Where `tls init` writes and `serve --tls` reads.
pub fn paths(config: &Config) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let dir = config.data_dir.join("tls");
    (dir.join("ca.pem"), dir.join("ca-key.pem"), dir.join("server.pem"), dir.join("server-key.pem"))
}

fn write(path: &Path, text: &str, secret: bool) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = secret;
    options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| CliError::Refused(format!("cannot write {}: {e}", path.display())))
}

pub fn init(config: &Config, args: TlsInitArgs) -> Result<(), CliError> {
    let (ca, ca_key, cert, key) = paths(config);
    if cert.exists() && !args.force {
        return Err(CliError::Refused(format!(
            "{} already exists; use --force to replace the certificates",
            cert.display()
        )));
    }
    if let Some(dir) = ca.parent() {
        std::fs::create_dir_all(dir).map_err(|e| CliError::Refused(format!("cannot create {}: {e}", dir.display())))?;
    }
    let tls =
        keyward_token::tls::generate().map_err(|e| CliError::Refused(format!("cannot make the certificates: {e}")))?;
    write(&ca, &tls.ca_cert_pem, false)?;
    write(&ca_key, &tls.ca_key_pem, true)?;
    write(&cert, &tls.server_cert_pem, false)?;
    write(&key, &tls.server_key_pem, true)?;
    let ca = std::fs::canonicalize(&ca).unwrap_or(ca);
    let ca = ca.display();
    println!(
        "Created a local certificate authority and a certificate for api.appstoreconnect.apple.com and localhost:\n  {ca}\n  {}\n\n\
         Serve HTTPS with it:\n  keyward serve --tls --listen 127.0.0.1:443\n\n\
         Make clients reach Keyward for Apple's host (hosts file, /etc/hosts):\n  127.0.0.1 api.appstoreconnect.apple.com\n\n\
         Make them trust the local CA:\n  \
         Python (requests):  export REQUESTS_CA_BUNDLE={ca}\n  \
         Python (ssl, httpx): export SSL_CERT_FILE={ca}\n  \
         Node:               export NODE_EXTRA_CA_CERTS={ca}\n  \
         curl:               curl --cacert {ca} https://api.appstoreconnect.apple.com/v1/apps\n  \
         The system store:   sudo cp {ca} /usr/local/share/ca-certificates/keyward-local-ca.crt && sudo update-ca-certificates\n\n\
         Remove the hosts line and the CA when you are done: they make this machine trust Keyward for Apple's API.",
        cert.display()
    );
    Ok(())
}
