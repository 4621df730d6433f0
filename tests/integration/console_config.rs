//! The console's config file from the command line: `config print-default` prints a file that
//! reads back as the defaults, `config path` finds it through `--config` or `XDG_CONFIG_HOME`,
//! `config check` names the line and key of a mistake.

use std::path::Path;

use crate::support::home::{command, run_command, Run};

/// `ipfs-kit-tui ARGS...` with its config directory in `config_home`.
fn run_config(config_home: &Path, args: &[&str]) -> Run {
    let mut cmd = command();
    cmd.env("XDG_CONFIG_HOME", config_home)
        .env("HOME", config_home)
        .args(args);
    run_command(cmd)
}

#[test]
fn print_default_writes_a_file_that_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let printed = run_config(dir.path(), &["config", "print-default"]).ok();
    assert!(
        printed.stdout.contains("theme = \"default\""),
        "{printed:#?}"
    );
    assert!(printed.stdout.contains("[keys]"), "{printed:#?}");
    let file = dir.path().join("printed.toml");
    std::fs::write(&file, &printed.stdout).unwrap();
    let checked = run_config(
        dir.path(),
        &["--config", file.to_str().unwrap(), "config", "check"],
    )
    .ok();
    assert!(checked.stdout.ends_with(": ok\n"), "{checked:#?}");
}

#[test]
fn path_follows_the_flag_and_xdg_config_home() {
    let dir = tempfile::tempdir().unwrap();
    let found = run_config(dir.path(), &["config", "path"]).ok();
    let expected = dir.path().join("ipfs-kit-tui").join("config.toml");
    assert_eq!(found.stdout.trim_end(), expected.to_str().unwrap());
    assert!(found.stderr.contains("no file there"), "{found:#?}");
    let named = run_config(dir.path(), &["config", "path", "--config", "/etc/x.toml"]).ok();
    assert_eq!(named.stdout, "/etc/x.toml\n");
}

#[test]
fn check_names_the_line_and_key_and_a_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let none = run_config(dir.path(), &["config", "check"]).ok();
    assert!(none.stdout.contains("no config file"), "{none:#?}");

    let config_dir = dir.path().join("ipfs-kit-tui");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        "theme = \"light\"\n[keys]\nquit = \"j\"\n",
    )
    .unwrap();
    let clash = run_config(dir.path(), &["config", "check"]);
    assert_eq!(clash.code, Some(2), "{clash:#?}");
    assert!(
        clash
            .stderr
            .contains("config.toml line 3: keys.quit: \"j\" is bound to both quit and down"),
        "{clash:#?}"
    );

    let missing = dir.path().join("missing.toml");
    let run = run_config(
        dir.path(),
        &["--config", missing.to_str().unwrap(), "config", "check"],
    );
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains("missing.toml: not found"), "{run:#?}");
}
