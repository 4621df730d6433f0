//! `export` and `import`: backup and restore of the backends and settings (see `crate::backup`
//! for the file and the rules).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use super::{CliError, CliResult};
use crate::backup::{self, Backup, Here};
use crate::store::{self, fsio, Store};
use crate::text::{plural, sanitize};

/// `FILE` that means standard output (export) or standard input (import).
const STDIO: &str = "-";

/// `export FILE [--include-secrets]`: the backup, written atomically (a temp file made 0600
/// from the start, synced, renamed over FILE), or to standard output for `-`. Like every
/// reading command, it writes nothing in the home (not even its log).
pub fn export(store: &Store, file: &Path, include_secrets: bool) -> CliResult {
    let to_stdout = file.as_os_str() == STDIO;
    if to_stdout && include_secrets && std::io::stdout().is_terminal() {
        return Err(CliError::usage(
            "refusing to print secrets on a terminal: give a file name, or pipe the output",
        ));
    }
    let exported = backup::export(store, include_secrets)?;
    let bytes = fsio::to_json_bytes(&exported.document)
        .map_err(|e| CliError::failure(format!("cannot write the backup as JSON: {e}")))?;
    let shown = if to_stdout {
        "standard output".to_string()
    } else {
        sanitize(&file.display().to_string(), 200)
    };
    if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(|e| CliError::failure(format!("cannot write the backup: {e}")))?;
    } else {
        fsio::write_atomic(&in_a_directory(file), &bytes).map_err(|e| {
            CliError::failure(sanitize(&format!("cannot write the backup: {e}"), 1000))
        })?;
    }
    for problem in &exported.problems {
        eprintln!("warning: {problem} (as stored here; `import` refuses it until it is mended)");
    }
    let secrets = if include_secrets {
        "secrets included: keep the file private".to_string()
    } else {
        format!(
            "secrets left out: {}",
            plural(exported.secrets_left_out as u64, "field", "fields")
        )
    };
    eprintln!(
        "exported {} and {} to {shown} ({secrets})",
        plural(exported.backends as u64, "backend", "backends"),
        plural(exported.settings as u64, "setting", "settings"),
    );
    if !exported.unreadable.is_empty() {
        for err in &exported.unreadable {
            eprintln!("warning: {}", sanitize(&err.to_string(), 1000));
        }
        return Err(CliError::failure(format!(
            "{} could not be read and {} not in the backup (see above)",
            plural(
                exported.unreadable.len() as u64,
                "backend file",
                "backend files"
            ),
            if exported.unreadable.len() == 1 {
                "is"
            } else {
                "are"
            }
        )));
    }
    Ok(())
}

/// A path whose parent is a directory to make the temp file in (`backup.json` → `./backup.json`).
fn in_a_directory(file: &Path) -> PathBuf {
    match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => file.to_path_buf(),
        _ => Path::new(".").join(file),
    }
}

/// `import FILE [--dry-run] [--replace]`: the whole file is checked, then the plan is printed,
/// then (unless `--dry-run`) written, each file atomically, under the store's lock.
pub fn import(home: Option<&Path>, file: &Path, dry_run: bool, replace: bool) -> CliResult {
    let (bytes, shown) = read_backup(file)?;
    // Everything in the file is checked before the home is even opened.
    let backup = Backup::parse(&bytes, &shown)
        .map_err(|err| CliError::usage(sanitize(&err.to_string(), 4000)))?;
    let home = store::resolve_home(home)?;
    if dry_run {
        // A home that does not exist is not created for a dry run.
        let here = if home.join("config").join("main.json").is_file() {
            Here::read(&Store::open(&home)?.0, false)?
        } else {
            Here::nothing()
        };
        let plan = backup::plan(&backup, &here, replace);
        print_plan(&plan);
        print_warnings(&plan);
        if !plan.blocked.is_empty() {
            return Err(blocked(&plan));
        }
        eprintln!("dry run: nothing was written ({})", plan.summary(false));
        return Ok(());
    }
    // Not `super::open`: an import into a new home must not start with a first-run backend.
    let (store, opened) = Store::open(&home)?;
    let session = store.restore_session()?;
    let here = Here::read(&store, opened.created)?;
    let plan = backup::plan(&backup, &here, replace);
    if !plan.blocked.is_empty() {
        print_plan(&plan);
        return Err(blocked(&plan));
    }
    print_plan(&plan);
    if !plan.writes_anything() {
        print_warnings(&plan);
        eprintln!(
            "nothing to import: {} holds nothing this home lacks{}",
            shown,
            if replace {
                ""
            } else {
                " (--replace to overwrite what differs)"
            }
        );
        return Ok(());
    }
    match backup::apply(&session, &backup, &plan, replace) {
        Ok(applied) => {
            drop(session);
            print_warnings(&plan);
            for skipped in &applied.skipped {
                eprintln!("warning: {skipped}");
            }
            eprintln!(
                "imported from {shown} into {}: {}",
                sanitize(&home.display().to_string(), 200),
                plan.summary(true)
            );
            store.log(
                "INFO",
                &format!("import from {shown}: wrote {}", applied.written.join("; ")),
            );
            Ok(())
        }
        Err(failed) => {
            drop(session);
            let written = if failed.written.is_empty() {
                "nothing".to_string()
            } else {
                failed.written.join("; ")
            };
            store.log(
                "ERROR",
                &format!(
                    "import from {shown} stopped: {}; written: {written}",
                    failed.error
                ),
            );
            Err(CliError::failure(sanitize(
                &format!(
                    "import stopped: {}. Written: {written}. Not written: {}. Run the import again (with --replace) to finish.",
                    failed.error,
                    failed.not_written.join("; ")
                ),
                4000,
            )))
        }
    }
}

/// The backup's bytes and how to name it in messages.
fn read_backup(file: &Path) -> Result<(Vec<u8>, String), CliError> {
    if file.as_os_str() == STDIO {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::failure(format!("cannot read standard input: {e}")))?;
        return Ok((bytes, "standard input".to_string()));
    }
    let shown = sanitize(&file.display().to_string(), 200);
    let bytes = std::fs::read(file).map_err(|e| {
        let message = format!("cannot read {shown}: {e}");
        if e.kind() == std::io::ErrorKind::NotFound || file.is_dir() {
            CliError::usage(message)
        } else {
            CliError::failure(message)
        }
    })?;
    Ok((bytes, shown))
}

fn print_plan(plan: &backup::Plan) {
    for line in plan.lines() {
        println!("{line}");
    }
}

fn print_warnings(plan: &backup::Plan) {
    for warning in plan.warnings() {
        eprintln!("warning: {warning}");
    }
}

fn blocked(plan: &backup::Plan) -> CliError {
    CliError::failure(format!("nothing was written: {}", plan.blocked.join("; ")))
}
