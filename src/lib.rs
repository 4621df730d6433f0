//! ipfs-kit-tui: a terminal console for the storage backends of an IPFS-kit installation.
//!
//! Layers (see DESIGN.md): `store` is the on-disk truth in `~/.ipfs_kit`, `backends` the kinds
//! and their config schemas, `cli` the non-interactive commands over them.

pub mod api;
pub mod backends;
pub mod cli;
pub mod monitor;
pub mod poll;
pub mod probe;
pub mod stats;
pub mod store;
pub mod text;
pub mod tui;
