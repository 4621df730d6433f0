//! The interactive console. State lives in `app` (the models of `model/`, and the GUI's own
//! state) and changes only in `update`; drawing (`view`, the regions of `panes/`, the
//! `popups/`) reads it and is pure; the runtime (`runtime`) turns keys, engine events and
//! finished tasks into messages and renders only when something visible changed. It never
//! awaits the network itself.

pub mod app;
pub mod config;
pub mod fleet_runtime;
pub mod keymap;
pub mod model;
pub mod panes;
pub mod popups;
pub mod runtime;
pub mod terminal;
pub mod theme;
pub mod view;

use crate::store::Store;
use config::LoadedConfig;

/// What the components' render tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use ratatui::buffer::Buffer;
    use ratatui::style::Color;

    /// The screen's rows as text, one String per row.
    pub fn screen_lines(buffer: &Buffer) -> Vec<String> {
        (0..buffer.area.height)
            .map(|y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect()
            })
            .collect()
    }

    /// The foreground of the first cell of `needle` on screen, if it is shown.
    pub fn fg_of(buffer: &Buffer, needle: &str) -> Option<Color> {
        (0..buffer.area.height).find_map(|y| {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            let pos = line.find(needle)?;
            let x = u16::try_from(line[..pos].chars().count()).ok()?;
            Some(buffer[(x, y)].fg)
        })
    }
}

/// The console's flags (see `ipfs-kit-tui --help`); `no_mouse` is also the config file's
/// `mouse = false`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    pub refresh: Option<u64>,
    pub lite: bool,
    pub ascii: bool,
    pub no_color: bool,
    pub read_only: bool,
    pub no_mouse: bool,
}

/// Runs the console until the operator quits (or the terminal goes away), with the config file
/// as read at start (its defaults and the reason when it was bad).
pub fn run(store: Store, options: Options, config: LoadedConfig) -> color_eyre::Result<()> {
    on_runtime(runtime::run(store, options, config))
}

/// Runs the fleet view (`--fleet`) until the operator quits: every host's backends as the
/// Prometheus at `fleet.url` has them, read-only.
pub fn run_fleet(
    fleet: fleet_runtime::FleetOptions,
    options: Options,
    config: LoadedConfig,
) -> color_eyre::Result<()> {
    on_runtime(fleet_runtime::run(fleet, options, config))
}

/// Runs a console's loop on a runtime of its own; whatever happened, the terminal is given back.
fn on_runtime(
    console: impl std::future::Future<Output = color_eyre::Result<()>>,
) -> color_eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let result = runtime.block_on(console);
    terminal::restore();
    result
}
