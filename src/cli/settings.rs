//! `settings get|set` and `cleanup`.

use std::path::Path;

use serde_json::Value;

use super::{open, CliError, CliResult, SettingsCommand};
use crate::api::Api;
use crate::store::{settings, Store};
use crate::text::{sanitize, table};

pub fn run(home: Option<&Path>, cmd: SettingsCommand) -> CliResult {
    match cmd {
        SettingsCommand::Get { key, json } => {
            let current = Api::new(open(home)?).settings()?;
            for problem in current.problems() {
                eprintln!("warning: {problem}");
            }
            match key {
                Some(key) => {
                    let value = current.get(&key).ok_or_else(|| {
                        let known: Vec<_> = settings::SETTINGS.iter().map(|s| s.key).collect();
                        CliError::usage(format!(
                            "setting '{}': unknown setting; known: {}",
                            sanitize(&key, 64),
                            known.join(", ")
                        ))
                    })?;
                    if json {
                        println!("{value}");
                    } else {
                        println!("{}", plain(&value));
                    }
                }
                None => {
                    let all = current.all();
                    if json {
                        let map: serde_json::Map<String, Value> =
                            all.into_iter().map(|(k, v, _)| (k, v)).collect();
                        println!("{}", Value::Object(map));
                    } else {
                        let rows: Vec<Vec<String>> = all
                            .into_iter()
                            .map(|(key, value, set)| {
                                let help = settings::spec(&key).map(|s| s.help).unwrap_or("");
                                let origin = if set { "" } else { " (default)" };
                                vec![
                                    sanitize(&key, 64),
                                    format!("{}{origin}", plain(&value)),
                                    help.into(),
                                ]
                            })
                            .collect();
                        print!("{}", table(&["KEY", "VALUE", "MEANING"], &rows));
                    }
                }
            }
            Ok(())
        }
        SettingsCommand::Set { key, value } => {
            // Checked before the home is touched: bad input changes nothing.
            settings::parse(&key, &value)
                .map_err(|e| CliError::usage(sanitize(&e.to_string(), 500)))?;
            let parsed = Api::new(open(home)?).set_setting(&key, &value)?;
            println!("{key} = {}", plain(&parsed));
            Ok(())
        }
    }
}

/// A JSON value as a person reads it: strings without quotes.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => sanitize(s, 200),
        other => sanitize(&other.to_string(), 200),
    }
}

pub fn cleanup(store: &Store, days: u64) -> CliResult {
    let api = Api::new(store.clone());
    let report = api.cleanup(days)?;
    // Temp files of writes killed mid-way: an hour old is long past any write in progress.
    let temps = api.sweep_temp_files(std::time::Duration::from_secs(3600));
    if temps > 0 {
        println!("removed {temps} temp files left by interrupted writes");
    }
    if !report.kept.is_empty() {
        println!(
            "kept {} old metadata {} still in use ({})",
            report.kept.len(),
            if report.kept.len() == 1 {
                "entry"
            } else {
                "entries"
            },
            report
                .kept
                .iter()
                .map(|(key, why)| format!("{}: {why}", sanitize(key, 80)))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    for skipped in &report.skipped {
        eprintln!("warning: {}", sanitize(&skipped.to_string(), 1000));
    }
    println!(
        "removed {} metadata {} older than {days} days{}",
        report.removed.len(),
        if report.removed.len() == 1 {
            "entry"
        } else {
            "entries"
        },
        if report.removed.is_empty() {
            String::new()
        } else {
            format!(": {}", report.removed.join(", "))
        }
    );
    Ok(())
}
