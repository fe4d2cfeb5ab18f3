//! Writing `AuthKey_<KEYID>.p8` files (K9): created exclusively (never overwriting) with mode 0600
//! before the download is recorded, so a private key is never made for a file that cannot be written.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use keyward_core::ids::KeyId;
use keyward_token::PrivateKeyPem;

use crate::error::CliError;

/// An empty, exclusively created key file awaiting its contents.
#[derive(Debug)]
pub struct ReservedFile {
    path: PathBuf,
    file: Option<File>,
}

pub fn reserve(dir: &Path, key_id: &KeyId) -> Result<ReservedFile, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::Refused(format!("cannot create {}: {e}", dir.display())))?;
    let path = dir.join(key_id.file_name());
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Refused(format!("{} already exists; it is never overwritten", path.display()))
        } else {
            CliError::Refused(format!("cannot write {}: {e}", path.display()))
        }
    })?;
    Ok(ReservedFile { path, file: Some(file) })
}

impl ReservedFile {
    /// Writes the key and flushes it to disk.
    pub fn fill(mut self, pem: &PrivateKeyPem) -> Result<PathBuf, CliError> {
        let mut file = self.file.take().ok_or_else(|| CliError::Refused("key file already written".into()))?;
        file.write_all(pem.expose().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| CliError::Refused(format!("cannot write {}: {e}", self.path.display())))?;
        Ok(std::mem::take(&mut self.path))
    }
}

impl Drop for ReservedFile {
    /// An unfilled reservation (the download was refused) leaves no empty file behind.
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
