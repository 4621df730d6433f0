//! `metrics` (the headless exporter) and `status --openmetrics`.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{CliError, CliResult};
use crate::store::Store;

pub fn status_openmetrics(_store: &Store, _check: bool) -> CliResult {
    Err(CliError::failure("status --openmetrics: not built yet"))
}

pub fn run(_store: Store, _listen: SocketAddr, _textfile: Option<PathBuf>) -> CliResult {
    Err(CliError::failure("metrics: not built yet"))
}
