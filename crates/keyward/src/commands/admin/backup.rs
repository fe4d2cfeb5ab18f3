//! `keyward admin backup FILE` and `keyward admin restore FILE` (spec D1). A backup is a
//! consistent copy of a running SQLite installation, made without migrating or creating
//! anything. A restore fills an empty data directory with one: the file is copied beside the
//! database, checked (SQLite's integrity check, a Keyward schema no newer than this binary's) and migrated
//! there, and only then linked to its name, so the directory ends up restored or untouched. A
//! backup is trusted input: it holds the installation's secrets and decides who may do what.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use keyward_store::{DatabaseUrl, Store};
use serde_json::json;

use crate::cli::FileArgs;
use crate::config::Config;
use crate::error::CliError;
use crate::output::Output;

/// Runs on the database as it is: never creates one, never migrates it (a newer binary must not
/// change the schema under an older `serve`).
pub async fn backup(config: &Config, args: FileArgs, out: Output) -> Result<(), CliError> {
    let url = config.database_url()?;
    match &url {
        DatabaseUrl::Sqlite(path) if !path.is_file() => {
            return Err(CliError::Refused(format!("there is no database at {}", path.display())));
        }
        DatabaseUrl::Sqlite(_) => {}
        DatabaseUrl::Postgres(_) => {
            return Err(CliError::Refused(
                "a PostgreSQL installation is backed up with pg_dump (see docs/operations.md)".into(),
            ));
        }
    }
    let store = Store::open(&url).await?;
    let done = store.backup_to(&args.file).await;
    let version = store.schema_version().await;
    store.close().await;
    done?;
    let bytes = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    let value = json!({"file": args.file.display().to_string(), "bytes": bytes, "schema_version": version?});
    out.one(&value, || format!("Backed up to {} ({bytes} bytes).", args.file.display()));
    Ok(())
}

/// Runs without opening the configured database first: opening it would create it.
pub async fn restore(config: &Config, args: FileArgs, out: Output) -> Result<(), CliError> {
    let DatabaseUrl::Sqlite(target) = config.database_url()? else {
        return Err(CliError::Refused(
            "a PostgreSQL installation is restored with pg_restore (see docs/operations.md)".into(),
        ));
    };
    if !args.file.is_file() {
        return Err(CliError::Refused(format!("there is no backup file at {}", args.file.display())));
    }
    let mut wal = args.file.clone().into_os_string();
    wal.push("-wal");
    if Path::new(&wal).exists() {
        return Err(CliError::Refused(format!(
            "{} has a write-ahead log beside it: it is a live database, not a backup (use keyward admin backup)",
            args.file.display()
        )));
    }
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    match std::fs::read_dir(&dir).map(|mut entries| entries.next().is_none()) {
        Ok(false) => {
            return Err(CliError::Refused(format!(
                "the data directory {} is not empty; restore into an empty one",
                dir.display()
            )));
        }
        Ok(true) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(|e| CliError::Refused(format!("cannot create {}: {e}", dir.display())))?;
        }
        Err(e) => return Err(CliError::Refused(format!("cannot read {}: {e}", dir.display()))),
    }
    let partial = dir.join(".restoring.db");
    let checked = prepare(&args.file, &partial).await;
    let installed = checked.and_then(|versions| {
        // Linked, never renamed: a database that appeared meanwhile is not replaced.
        std::fs::hard_link(&partial, &target)
            .map(|()| versions)
            .map_err(|e| CliError::Refused(format!("cannot write {}: {e}", target.display())))
    });
    for leftover in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(dir.join(format!(".restoring.db{leftover}")));
    }
    let (was, now) = installed?;
    let value = json!({"file": args.file.display().to_string(), "database": target.display().to_string(),
        "schema_version": now, "backup_schema_version": was});
    out.one(&value, || format!("Restored {} into {}.", args.file.display(), target.display()));
    Ok(())
}

/// Copies `file` to `partial` (its owner's alone), checks it and migrates it there: the backup's
/// schema version and the one it now has.
async fn prepare(file: &Path, partial: &PathBuf) -> Result<(i64, i64), CliError> {
    let refuse = |why: String| CliError::Refused(why);
    let mut source = std::fs::File::open(file).map_err(|e| refuse(format!("cannot read {}: {e}", file.display())))?;
    let mut copy = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(partial)
        .map_err(|e| refuse(format!("cannot write {}: {e}", partial.display())))?;
    std::io::copy(&mut source, &mut copy)
        .and_then(|_| copy.flush())
        .and_then(|()| copy.sync_all())
        .map_err(|e| refuse(format!("cannot write {}: {e}", partial.display())))?;
    let not_ours = || refuse(format!("{} is not a Keyward backup, or it is damaged", file.display()));
    let was = keyward_store::backup_schema_version(partial).await.ok_or_else(not_ours)?;
    let known = keyward_store::known_schema_version(keyward_store::Backend::Sqlite);
    if was > known {
        return Err(refuse(format!(
            "{} was made by a newer Keyward (schema {was}; this one knows up to {known}); restore it with that version",
            file.display()
        )));
    }
    let store = Store::open(&DatabaseUrl::Sqlite(partial.clone())).await?;
    let checked = async {
        store.migrate().await?;
        Ok((was, store.schema_version().await?.unwrap_or(was)))
    }
    .await;
    store.close().await;
    checked
}
