//! The regions of the main screen, one file each with its drawing and, where it has them, its
//! keys and footer hints: the backend `list` (and its filter line), the `detail` of the selected
//! backend (its text made of `facts`, its nodes block in `nodes`), the `messages`, the `footer`.
//! `layout` splits the screen between them; `ages` says how old things are, for all of them.

pub mod ages;
pub mod chart;
pub mod detail;
mod detail_text;
mod facts;
pub mod footer;
mod forecast_text;
pub mod layout;
pub mod list;
pub mod messages;
mod nodes;
pub mod summary;
mod timeline;

/// A percentage as the list and the detail show it; unknown stays unknown.
pub fn percent_text(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "?".into())
}
