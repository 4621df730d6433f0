//! The interactive console. State lives in `app` and changes only in `update`; drawing (`view`)
//! is pure; the runtime (`runtime`) turns keys, engine events and finished tasks into messages
//! and renders only when something visible changed. It never awaits the network itself.

// pub mod app; (enabled once form.rs lands)
pub mod form;
pub mod keymap;
pub mod theme;
// pub mod view; (enabled once form.rs lands)
// pub mod runtime; (enabled once form.rs lands)
pub mod terminal;

use crate::store::Store;

/// The console's flags (see `ipfs-kit-tui --help`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub refresh: Option<u64>,
    pub lite: bool,
    pub ascii: bool,
    pub no_color: bool,
    pub read_only: bool,
}

/// Runs the console until the operator quits (or the terminal goes away).
pub fn run(store: Store, options: Options) -> color_eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result: color_eyre::Result<()> = runtime.block_on(async { let _ = (store, options); Err(color_eyre::eyre::eyre!("console: being assembled")) });
    // Whatever happened, the terminal is ours to give back.
    terminal::restore();
    result
}
