//! `export` and `import`: backup and restore of the backends and settings.

use std::path::Path;

use super::{CliError, CliResult};
use crate::store::Store;

pub fn export(_store: &Store, _file: &Path, _include_secrets: bool) -> CliResult {
    Err(CliError::failure("export: not built yet"))
}

pub fn import(_home: Option<&Path>, _file: &Path, _dry_run: bool, _replace: bool) -> CliResult {
    Err(CliError::failure("import: not built yet"))
}
