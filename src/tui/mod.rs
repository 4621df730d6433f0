//! The interactive console, in three floors. The state (`state`: the models of `model/` and
//! the GUI's own state) is written only by the update code: `update` applies a message
//! (`message`), `input` turns keys, the mouse and pastes into intents (`intent`), and `actions`
//! carries an intent out behind one gate. The views read it and are pure: `view` draws the
//! regions of `panes/` and, over them, the open popup of `popups/` (each popup its own state,
//! keys and drawing, drawn from a narrow context, never from the whole state); `widgets` is
//! what they share. The runtime (`runtime`) turns keys, engine events and finished tasks into
//! messages and renders only when something visible changed; it never awaits the network itself.

pub mod actions;
pub mod config;
pub mod fleet_runtime;
pub mod input;
pub mod intent;
pub mod keymap;
#[cfg(test)]
mod layers;
pub mod message;
pub mod model;
pub mod panes;
pub mod popups;
pub mod runtime;
pub mod state;
pub mod terminal;
pub mod theme;
pub mod update;
pub mod view;
pub mod widgets;

use crate::store::Store;
use config::LoadedConfig;

#[cfg(test)]
mod tests {
    use super::FirstRun;

    #[test]
    fn the_first_run_says_where_the_new_home_is_and_how_to_add_a_backend() {
        let first = FirstRun {
            home: "/root/.ipfs_kit".into(),
        };
        assert_eq!(
            first.message("a"),
            "created a new home at /root/.ipfs_kit with a 'local' backend for the filesystem \
             that holds it (press a to add another)"
        );
        assert!(
            first.message("").ends_with("that holds it"),
            "unbound: no key"
        );
    }
}

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

/// What opening the home created, for the console to say once at start (the line a command
/// prints to stderr would be hidden behind the console's screen): a new home, with a `local`
/// backend for the filesystem that holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstRun {
    pub home: std::path::PathBuf,
}

impl FirstRun {
    /// The messages pane's line: where the home is, what is in it, and the key that adds a
    /// backend (`add_key`, as bound; not said when it is unbound).
    pub fn message(&self, add_key: &str) -> String {
        let home = crate::text::sanitize(&self.home.to_string_lossy(), 200);
        let press = if add_key.is_empty() {
            String::new()
        } else {
            format!(" (press {add_key} to add another)")
        };
        format!(
            "created a new home at {home} with a 'local' backend for the filesystem that holds it{press}"
        )
    }
}

/// Runs the console until the operator quits (or the terminal goes away), with the config file
/// as read at start (its defaults and the reason when it was bad), saying first what opening
/// the home created.
pub fn run(
    store: Store,
    options: Options,
    config: LoadedConfig,
    first_run: Option<FirstRun>,
) -> color_eyre::Result<()> {
    on_runtime(runtime::run(store, options, config, first_run))
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
