//! Where the home is: `--home`, then `IPFS_KIT_HOME`, then `~/.ipfs_kit`.

use std::path::{Path, PathBuf};

use super::error::{Result, StoreError};

pub const HOME_ENV: &str = "IPFS_KIT_HOME";

/// Resolves the home directory. An explicit `--home` wins over the environment, which wins over
/// the default; an empty value counts as unset. Relative paths are made absolute so that the
/// paths we print and store do not depend on where a command was run.
pub fn resolve_home(flag: Option<&Path>) -> Result<PathBuf> {
    let env = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty());
    let chosen = match (flag.filter(|p| !p.as_os_str().is_empty()), env) {
        (Some(path), _) => path.to_path_buf(),
        (None, Some(env)) => PathBuf::from(env),
        (None, None) => directories::BaseDirs::new()
            .ok_or(StoreError::NoHomeDir)?
            .home_dir()
            .join(".ipfs_kit"),
    };
    std::path::absolute(&chosen).map_err(|e| StoreError::io(chosen, e))
}
