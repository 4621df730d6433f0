//! Backup and restore of the backends and global settings: `export` writes one JSON document,
//! `import` reads it back, checks all of it before anything is written, plans what it would
//! add, change and keep, and writes through the store (see `store::RestoreSession`).
//!
//! The document (format version 1):
//!
//! ```json
//! {"format": "ipfs-kit-tui-backup", "version": 1, "exported_at": "...", "tool_version": "...",
//!  "include_secrets": false,
//!  "secrets_left_out": {"ID": ["/config/secret_key"]},
//!  "secret_hints": {"ID": {"/config/secret_key": "••••XYZ"}}, "settings_left_out": ["api_token"],
//!  "global_settings": {...as stored...}, "backends": {"ID": {...the backend file as stored...}}}
//! ```
//!
//! - Backends are their files' whole objects (`id`, `updated`, `config`, any other key), in the
//!   order of their keys: an import into an empty home writes the same bytes back. `updated`
//!   is kept, not stamped anew: a restore gives back the configuration as it was exported, and
//!   `updated` says when that configuration was last changed, which an import does not do.
//! - Without secrets, every value that may hold one is removed (not masked): a secret field
//!   of the backend's kind, and any other key that looks like one (`secret::looks_secret`), at
//!   any depth. `secrets_left_out` lists where each was, as JSON pointers (RFC 6901) into the
//!   backend's object. `env:NAME` references are kept: they name where a secret is and hold
//!   none. Setting keys that look secret (none of ours) are left out whole and listed in
//!   `settings_left_out`.
//! - `secret_hints` (optional: a reader of version 1 that predates it ignores it) gives, for
//!   each secret left out, the masked form the screen shows (`secret::mask`: `••••` and at most
//!   the last 3 characters of a long secret), so that whoever restores knows which key to
//!   supply; `import` prints it beside each missing field.
//! - On import, a backend that exists here and is replaced keeps the secrets it has here for
//!   the fields left out of the file (when it is of the same kind). A backend added without
//!   its secrets is added as it is, and the import says loudly which secrets to set: the
//!   backend then fails its polls with the missing field named, which points at the fix.
//! - An import never removes anything: backends and settings that the file does not hold are
//!   left as they are.
//!
//! The stages, one file each: `secrets` (what is left out and put back), `export` (the
//! document made from a home), `document` (a backup read and checked whole), `plan` (what an
//! import would add, change and keep) and `apply` (the writes).

mod apply;
mod document;
mod export;
mod plan;
mod secrets;
#[cfg(test)]
mod test_docs;

pub use apply::{apply, Applied, ApplyError};
pub use document::{Backup, BackupBackend, BackupError};
pub use export::{export, Export};
pub use plan::{plan, Action, BackendStep, Here, Keep, Plan, SettingStep};
pub use secrets::{pointer_label, restore_secrets, strip_secrets};

/// The value of `format` in every backup.
pub const FORMAT: &str = "ipfs-kit-tui-backup";
/// The newest format version this build reads and the one it writes.
pub const VERSION: u64 = 1;
