//! The command line: parsing (clap) and the non-interactive commands.

mod backend;
mod backup;
mod events;
mod metrics;
mod settings;
mod status;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use crate::backends::{self, FieldError, Kind};
use crate::store::{self, Store, StoreError};

#[derive(Debug, Parser)]
#[command(
    name = "ipfs-kit-tui",
    version,
    about = "Terminal console for the storage backends of an IPFS-kit installation",
    after_help = "Home: --home, else $IPFS_KIT_HOME, else ~/.ipfs_kit (shared with the Python ipfs_kit_py library).\nConsole config: --config, else ~/.config/ipfs-kit-tui/config.toml (see `config print-default`)."
)]
pub struct Cli {
    /// Home directory (default: $IPFS_KIT_HOME, else ~/.ipfs_kit)
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    /// The console's config file (default: ~/.config/ipfs-kit-tui/config.toml)
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seconds between polls in the console (overrides the refresh_secs setting)
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub refresh: Option<u64>,
    /// Console: no sparklines, slower refresh (for slow links)
    #[arg(long)]
    pub lite: bool,
    /// Console: ASCII only, no box drawing or block glyphs
    #[arg(long)]
    pub ascii: bool,
    /// No colours (NO_COLOR is honoured too)
    #[arg(long)]
    pub no_color: bool,
    /// Console: refuse every change
    #[arg(long)]
    pub read_only: bool,
    /// Console: leave the mouse to the terminal (no click to select, no wheel scrolling)
    #[arg(long)]
    pub no_mouse: bool,
    /// Console: a read-only view of every host Prometheus scrapes (URL, else the fleet_url setting)
    #[arg(long, value_name = "PROMETHEUS_URL", num_args = 0..=1, default_missing_value = "")]
    pub fleet: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List, add, change, show and remove backends
    #[command(subcommand)]
    Backend(BackendCommand),
    /// Read and change global settings (config/main.json → global_settings)
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Poll every backend once and print their health, storage, quota and performance
    Status {
        #[arg(long, conflicts_with_all = ["watch", "openmetrics"])]
        json: bool,
        /// Print the round as Prometheus metrics (OpenMetrics text), as `metrics` serves them
        #[arg(long, conflicts_with = "watch")]
        openmetrics: bool,
        /// Exit 1 if any enabled backend is down
        #[arg(long, conflicts_with = "watch")]
        check: bool,
        /// Keep polling and print a compact table every SECS (Ctrl-C to stop)
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
        watch: Option<u64>,
    },
    /// Alerts raised by the monitor (quota, down, error rate): active first
    Alerts {
        #[arg(long)]
        json: bool,
    },
    /// Run the engine headless and export its figures to Prometheus (names: ipfs_kit_*)
    Metrics {
        /// Serve /metrics on this address (OpenMetrics, or the classic text format by content
        /// negotiation); port 0 picks a free one (the URL is printed)
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
        listen: std::net::SocketAddr,
        /// Instead of serving, write DIR/ipfs_kit.prom after each round (node_exporter's
        /// textfile collector); --listen is then ignored. DIR must exist
        #[arg(long, value_name = "DIR")]
        textfile: Option<PathBuf>,
        /// Seconds between polls (overrides the refresh_secs setting, as --refresh does)
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86_400))]
        refresh: Option<u64>,
    },
    /// Write the backends and settings to one JSON file (secrets left out unless asked)
    Export {
        file: PathBuf,
        /// Include the secrets (the file is then readable by its owner only)
        #[arg(long)]
        include_secrets: bool,
    },
    /// Read backends and settings from a file written by `export`; everything is checked first
    Import {
        file: PathBuf,
        /// Print what would be added, changed and kept, and write nothing
        #[arg(long)]
        dry_run: bool,
        /// Replace backends that exist here (otherwise they are kept as they are)
        #[arg(long)]
        replace: bool,
    },
    /// Remove metadata older than N days
    Cleanup {
        /// Age in days beyond which metadata is removed
        #[arg(long, default_value_t = 30)]
        days: u64,
    },
    /// The console's config file: keys, theme, colours, columns, sort, chart range
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// List the configured backends
    List {
        #[arg(long)]
        json: bool,
    },
    /// Add a backend: ipfs-kit-tui backend add ID --type KIND --set FIELD=VALUE ...
    Add {
        id: String,
        /// Kind of backend (see `backend kinds`)
        #[arg(long = "type", value_name = "KIND")]
        kind: String,
        /// A config field; repeat for each
        #[arg(long = "set", value_name = "FIELD=VALUE")]
        set: Vec<String>,
        /// Add it switched off
        #[arg(long)]
        disabled: bool,
    },
    /// Change fields of a backend (FIELD= with no value removes an optional field)
    Set {
        id: String,
        #[arg(value_name = "FIELD=VALUE", required = true)]
        assignments: Vec<String>,
    },
    /// Show one backend (secrets masked)
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove a backend (asks for confirmation on a terminal)
    Remove {
        id: String,
        /// Do not ask
        #[arg(long)]
        yes: bool,
    },
    /// Test a backend: reachability, credentials, one real read (exit 0 pass, 1 fail)
    Test {
        id: String,
        #[arg(long)]
        json: bool,
        /// Reuse a result younger than the test_ttl_secs setting instead of testing again
        #[arg(long, conflicts_with = "write")]
        cached: bool,
        /// Also put a small object (or file), read it back, compare and delete it (local, ipfs, s3)
        #[arg(long)]
        write: bool,
    },
    /// Run the slow inventory now (listings, walks, pin and object counts) and keep it;
    /// a count carried over several runs goes on where it stopped (exit 1 if it failed)
    Inventory {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// How available a backend was: the share of polls answered over 24 h, 7 d and 30 d,
    /// the mean time to recover, and its incidents (down episodes) with their reason
    Availability {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Maintenance: `--for 2h [--reason R]` starts a window (the backend is still polled, its
    /// alerts are held), `--end` ends it, neither shows it
    Maintenance {
        id: String,
        /// How long: 30m, 2h, 1d, 1h30m (at most 30 days); replaces a window under way
        #[arg(long = "for", value_name = "DURATION", conflicts_with = "end")]
        span: Option<String>,
        /// What it is for (shown with the row and in the log)
        #[arg(long, value_name = "TEXT", requires = "span")]
        reason: Option<String>,
        /// End the window now
        #[arg(long)]
        end: bool,
        #[arg(long)]
        json: bool,
    },
    /// What happened to a backend: health changes, alerts, tests, edits, inventories
    /// (newest last)
    Events {
        id: String,
        #[arg(long)]
        json: bool,
        /// The newest N events only
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Only events within this long (90s, 30m, 2h, 7d)
        #[arg(long, value_name = "DURATION")]
        since: Option<String>,
    },
    /// The kinds of backend and their fields
    Kinds {
        /// One kind only
        kind: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a config file with every key at its default, each explained
    PrintDefault,
    /// Print where the config file is read from (--config, else the user's config directory)
    Path,
    /// Check the config file: exit 0 when the console can use it, 2 with the line and key when not
    Check,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print a setting (or all of them)
    Get {
        key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Change a setting
    Set { key: String, value: String },
}

/// How a command failed: the message (one line) and the exit code.
#[derive(Debug)]
pub struct CliError {
    pub code: i32,
    pub message: String,
}

impl CliError {
    /// Bad input: exit 2, nothing on disk changed.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

impl From<StoreError> for CliError {
    fn from(err: StoreError) -> Self {
        let code = if err.is_bad_input() { 2 } else { 1 };
        CliError {
            code,
            message: crate::text::sanitize(&err.to_string(), 1000),
        }
    }
}

impl From<crate::api::ApiError> for CliError {
    fn from(err: crate::api::ApiError) -> Self {
        CliError {
            code: if err.is_bad_input() { 2 } else { 1 },
            message: crate::text::sanitize(&err.to_string(), 1000),
        }
    }
}

impl From<FieldError> for CliError {
    fn from(err: FieldError) -> Self {
        CliError::usage(crate::text::sanitize(&err.to_string(), 1000))
    }
}

pub type CliResult = Result<(), CliError>;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> CliResult {
    let home = cli.home.as_deref();
    match cli.command {
        None if cli.fleet.is_some() => Err(CliError::usage(
            "--fleet is a view of the console: it needs a terminal (Prometheus answers scripts \
             itself: /api/v1/query)",
        )),
        // Without a terminal (piped, cron), a bare invocation prints one live status round.
        None => status::status(&open(home)?, false, false),
        Some(Command::Backend(cmd)) => backend::run(home, cmd),
        Some(Command::Settings(cmd)) => settings::run(home, cmd),
        Some(Command::Status {
            watch: Some(secs), ..
        }) => status::watch(open(home)?, secs, cli.refresh),
        Some(Command::Status {
            openmetrics: true,
            check,
            ..
        }) => metrics::status_openmetrics(&open(home)?, check),
        Some(Command::Status { json, check, .. }) => status::status(&open(home)?, json, check),
        Some(Command::Metrics {
            listen,
            textfile,
            refresh,
        }) => metrics::run(open(home)?, listen, textfile, refresh.or(cli.refresh)),
        Some(Command::Export {
            file,
            include_secrets,
        }) => backup::export(&open_to_read(home)?, &file, include_secrets),
        Some(Command::Import {
            file,
            dry_run,
            replace,
        }) => backup::import(home, &file, dry_run, replace),
        Some(Command::Alerts { json }) => status::alerts(&open(home)?, json),
        Some(Command::Cleanup { days }) => settings::cleanup(&open(home)?, days),
        Some(Command::Config(cmd)) => config_command(cli.config.as_deref(), cmd),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ipfs-kit-tui",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    }
}

/// `config print-default`, `config path`, `config check`.
fn config_command(explicit: Option<&std::path::Path>, cmd: ConfigCommand) -> CliResult {
    use crate::tui::config;
    match cmd {
        ConfigCommand::PrintDefault => print!("{}", config::default_file()),
        ConfigCommand::Path => {
            let path = config::path(explicit)
                .ok_or_else(|| CliError::failure("no home directory to find the config file in"))?;
            println!("{}", path.display());
            if !path.is_file() {
                eprintln!("(no file there: the console runs on its defaults)");
            }
        }
        ConfigCommand::Check => match config::read(explicit) {
            Ok(Some(_)) => {
                let path = config::path(explicit).unwrap_or_default();
                println!("{}: ok", path.display());
            }
            Ok(None) => println!("no config file: the console runs on its defaults"),
            Err(err) => {
                return Err(CliError::usage(crate::text::sanitize(
                    &err.to_string(),
                    1000,
                )))
            }
        },
    }
    Ok(())
}

/// Runs the interactive console on this terminal. The config file is read first: a `--config`
/// file that is not there stops here (exit 2); any other problem with it is said in the
/// console, which then runs on its defaults.
pub fn run_console(cli: &Cli) -> CliResult {
    let config = crate::tui::config::LoadedConfig::load(cli.config.as_deref())
        .map_err(|e| CliError::usage(crate::text::sanitize(&e.to_string(), 1000)))?;
    if let Some(url) = &cli.fleet {
        return run_fleet(cli, url, config);
    }
    // What a first run created is said in the console's messages, not on stderr (which the
    // console's screen covers).
    let (store, first_run) = open_noting(cli.home.as_deref())?;
    let options = crate::tui::Options {
        refresh: cli.refresh,
        lite: cli.lite,
        ascii: cli.ascii,
        no_color: cli.no_color,
        read_only: cli.read_only,
        no_mouse: cli.no_mouse || !config.config.mouse,
    };
    crate::tui::run(store, options, config, first_run)
        .map_err(|e| CliError::failure(format!("{e:#}")))
}

/// The fleet view: the URL given, else the `fleet_url` setting of the home (read, never created
/// for this); refresh and timeout from `--refresh` and the home's settings when it has them.
fn run_fleet(cli: &Cli, url: &str, config: crate::tui::config::LoadedConfig) -> CliResult {
    let home = store::resolve_home(cli.home.as_deref())?;
    let settings = if home.join("config").join("main.json").is_file() {
        Some(Store::open(&home)?.0.settings()?)
    } else {
        None
    };
    let url = match url.trim() {
        "" => settings
            .as_ref()
            .and_then(|s| s.fleet_url())
            .ok_or_else(|| {
                CliError::usage(
                    "--fleet needs Prometheus' URL: --fleet URL, or set it once with \
                 `ipfs-kit-tui settings set fleet_url URL`",
                )
            })?,
        given => given.to_string(),
    };
    // A bad URL is bad input, said before the screen is taken.
    crate::fleet::Prometheus::new(&url, std::time::Duration::from_secs(1))
        .map_err(|e| CliError::usage(crate::text::sanitize(&e.to_string(), 500)))?;
    let settings = settings.unwrap_or_default();
    let fleet = crate::tui::fleet_runtime::FleetOptions {
        url,
        refresh_secs: cli.refresh.unwrap_or_else(|| settings.refresh_secs()),
        timeout: std::time::Duration::from_secs(settings.timeout_secs()),
    };
    let options = crate::tui::Options {
        refresh: cli.refresh,
        lite: cli.lite,
        ascii: cli.ascii,
        no_color: cli.no_color,
        read_only: true,
        no_mouse: cli.no_mouse || !config.config.mouse,
    };
    crate::tui::run_fleet(fleet, options, config).map_err(|e| CliError::failure(format!("{e:#}")))
}

/// Resolves and opens the home. On a first run (the home was just created and holds no
/// backends) adds a `local` backend for the filesystem that holds the home, so there is
/// something real to look at straight away.
pub fn open(home: Option<&std::path::Path>) -> Result<Store, CliError> {
    let (store, first_run) = open_noting(home)?;
    if first_run.is_some() {
        eprintln!(
            "created {} with a 'local' backend for the filesystem that holds it",
            store.home().display()
        );
    }
    Ok(store)
}

/// `open`, saying what a first run created instead of printing it (for the console, which
/// says it on its screen).
pub fn open_noting(
    home: Option<&std::path::Path>,
) -> Result<(Store, Option<crate::tui::FirstRun>), CliError> {
    let home = store::resolve_home(home)?;
    let (store, report) = Store::open(&home)?;
    // Opening never writes: an index left out of step (a writer killed between its two
    // writes, another tool) is brought in step by the next command that writes anyway.
    if !report.created {
        return Ok((store, None));
    }
    // A home that had backend files but no main.json is not new: nothing to announce.
    if !store.list_backends().backends.is_empty() {
        return Ok((store, None));
    }
    let path = home.to_string_lossy().into_owned();
    let config = backends::new_config(Kind::Local, &[("path".into(), path)])?;
    store.create_backend("local", config)?;
    store.log("INFO", "first run: created the home with a 'local' backend");
    Ok((store, Some(crate::tui::FirstRun { home })))
}

/// Opens a home that must exist already, for a command that only reads it (`export`): a home
/// that is not there is said, not created with a first-run backend.
pub fn open_to_read(home: Option<&std::path::Path>) -> Result<Store, CliError> {
    let path = store::resolve_home(home)?;
    if !path.join("config").join("main.json").is_file() {
        return Err(CliError::usage(format!(
            "nothing is configured in {} (no config/main.json)",
            path.display()
        )));
    }
    Ok(Store::open(&path)?.0)
}

/// Opens the home for a command about an existing backend: a home that does not exist yet is
/// not created just to say the backend is not there.
pub fn open_existing(home: Option<&std::path::Path>, id: &str) -> Result<Store, CliError> {
    let path = store::resolve_home(home)?;
    if !path.join("config").join("main.json").is_file() {
        return Err(CliError::usage(format!(
            "backend '{id}' does not exist (nothing is configured in {} yet)",
            path.display()
        )));
    }
    open(home)
}

/// Splits `FIELD=VALUE`.
fn split_assignment(text: &str) -> Result<(String, String), CliError> {
    match text.split_once('=') {
        Some((field, value)) if !field.trim().is_empty() => {
            Ok((field.trim().to_string(), value.to_string()))
        }
        _ => Err(CliError::usage(format!(
            "'{}': expected FIELD=VALUE",
            crate::text::sanitize(text, 80)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_run_that_creates_the_home_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let (store, first_run) = open_noting(Some(&home)).unwrap();
        assert_eq!(first_run, Some(crate::tui::FirstRun { home: home.clone() }));
        assert!(store.backend_exists("local"));
        let (_, again) = open_noting(Some(&home)).unwrap();
        assert_eq!(again, None, "said once: the next start finds the home");
    }
}
