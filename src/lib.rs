//! ipfs-kit-tui: a terminal console for the storage backends of an IPFS-kit installation.
//!
//! Layers (see ARCHITECTURE.md): `store` is the on-disk truth in `~/.ipfs_kit`, `backends` the
//! kinds (schema and probes), `poll` the one poll implementation, `monitor` the engine, `api`
//! the façade, `cli` and `tui` the faces.

pub mod api;
pub mod backends;
pub mod backup;
pub mod cli;
pub mod fleet;
pub mod metrics;
pub mod monitor;
pub mod poll;
pub mod probe;
pub mod signals;
pub mod stats;
pub mod store;
pub mod text;
pub mod tui;
