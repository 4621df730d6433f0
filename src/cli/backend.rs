//! `backend list|add|set|show|remove|kinds`.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

use serde_json::{json, Value};

use super::{open, open_existing, split_assignment, BackendCommand, CliError, CliResult};
use crate::api::{Api, ApiError};
use crate::backends::{self, Kind};
use crate::stats::availability::AvailabilityReport;
use crate::store::timestamp;
use crate::store::{names, BackendDoc, ForeignBackend, Store, StoreError};
use crate::text::{age, duration, plural, sanitize, table};

pub fn run(home: Option<&Path>, cmd: BackendCommand) -> CliResult {
    let id = match &cmd {
        BackendCommand::Set { id, .. }
        | BackendCommand::Show { id, .. }
        | BackendCommand::Remove { id, .. }
        | BackendCommand::Test { id, .. }
        | BackendCommand::Inventory { id, .. }
        | BackendCommand::Availability { id, .. }
        | BackendCommand::Maintenance { id, .. } => Some(id.clone()),
        _ => None,
    };
    let show_json = matches!(cmd, BackendCommand::Show { json: true, .. });
    let is_show = matches!(cmd, BackendCommand::Show { .. });
    // A name that is none of ours may be one of the dashboard's read-only backends: decided
    // from the home itself, before the command runs.
    if let Some(id) = id.filter(|id| names::check_backend_id(id).is_ok()) {
        if let Some(backend) = dashboard_backend(home, &id) {
            if is_show {
                return show_foreign(&backend, show_json);
            }
            return Err(CliError::usage(format!(
                "backend '{}' is kept in the Python dashboard's own file ({}, {}): it is shown read-only here; change it with the dashboard",
                sanitize(&id, 80),
                backend.source,
                backend.path.display()
            )));
        }
    }
    run_command(home, cmd)
}

/// The dashboard's backend named `id`, when the home has no backend of ours by that id.
fn dashboard_backend(home: Option<&Path>, id: &str) -> Option<ForeignBackend> {
    let api = Api::new(open_existing(home, id).ok()?);
    if api.backend_exists(id) {
        return None;
    }
    api.foreign_backends()
        .backends
        .into_iter()
        .find(|b| b.name == id)
}

/// `backend show` of one of the dashboard's backends: what its file says, secrets masked.
fn show_foreign(backend: &ForeignBackend, as_json: bool) -> CliResult {
    if as_json {
        return print_json(&foreign_json(backend));
    }
    println!("name:     {}", sanitize(&backend.name, 80));
    println!("type:     {}", sanitize(&backend.kind, 40));
    println!(
        "enabled:  {}",
        match backend.enabled {
            Some(true) => "yes",
            Some(false) => "no",
            None => "? (the file does not say)",
        }
    );
    println!(
        "from:     {} ({}), read-only: change it with the Python dashboard",
        backend.source,
        backend.path.display()
    );
    if let Some(policy) = &backend.policy_path {
        println!("policy:   {}", policy.display());
    }
    if let Some(description) = &backend.description {
        println!("about:    {}", sanitize(description, 200));
    }
    println!("fields:");
    for (key, value) in backends::display_fields(&backend.fields) {
        println!("  {key}  {value}");
    }
    Ok(())
}

fn run_command(home: Option<&Path>, cmd: BackendCommand) -> CliResult {
    match cmd {
        BackendCommand::List { json } => list(&open(home)?, json),
        BackendCommand::Add {
            id,
            kind,
            set,
            disabled,
        } => {
            // Everything is checked before the home is touched: bad input changes nothing.
            names::check_new_backend_id(&id)?;
            let kind = Kind::parse(&kind)?;
            let mut sets = set
                .iter()
                .map(|s| split_assignment(s))
                .collect::<Result<Vec<_>, _>>()?;
            if disabled {
                sets.push(("enabled".into(), "false".into()));
            }
            backends::new_config(kind, &sets)?;
            let api = Api::new(open(home)?);
            api.create_backend(&id, kind, &sets)?;
            println!("added backend '{id}' ({kind})");
            Ok(())
        }
        BackendCommand::Set { id, assignments } => {
            names::check_backend_id(&id)?;
            let sets = assignments
                .iter()
                .map(|s| split_assignment(s))
                .collect::<Result<Vec<_>, _>>()?;
            let api = Api::new(open_existing(home, &id)?);
            api.update_backend(&id, &sets)?;
            let fields: Vec<&str> = sets.iter().map(|(f, _)| f.as_str()).collect();
            println!("updated backend '{id}': {}", fields.join(", "));
            Ok(())
        }
        BackendCommand::Show { id, json } => {
            names::check_backend_id(&id)?;
            show(&Api::new(open_existing(home, &id)?), &id, json)
        }
        BackendCommand::Remove { id, yes } => {
            names::check_backend_id(&id)?;
            remove(&Api::new(open_existing(home, &id)?), &id, yes)
        }
        BackendCommand::Test {
            id,
            json,
            cached,
            write,
        } => {
            names::check_backend_id(&id)?;
            let api = Api::new(open_existing(home, &id)?);
            if write {
                // Said before anything runs: a kind without a write check cannot be asked for one.
                let backend = api.get_backend(&id)?;
                if let Some(reason) = Kind::write_check_refusal(backend.kind()) {
                    return Err(CliError::usage(format!(
                        "backend '{}': {reason}; run without --write",
                        sanitize(&id, 80)
                    )));
                }
            }
            super::status::test(&api, &id, json, cached, write)
        }
        BackendCommand::Inventory { id, json } => {
            names::check_backend_id(&id)?;
            super::status::inventory(&Api::new(open_existing(home, &id)?), &id, json)
        }
        BackendCommand::Availability { id, json } => {
            names::check_backend_id(&id)?;
            let report = Api::new(open_existing(home, &id)?).availability(&id)?;
            if json {
                let value = serde_json::to_value(&report)
                    .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
                return print_json(&value);
            }
            print!("{}", availability_text(&report));
            Ok(())
        }
        BackendCommand::Maintenance {
            id,
            span,
            reason,
            end,
            json,
        } => {
            names::check_backend_id(&id)?;
            // The duration is checked before the home is touched.
            let span = span
                .map(|raw| {
                    crate::store::maintenance::parse_span(&raw)
                        .map_err(|reason| CliError::usage(format!("--for: {reason}")))
                })
                .transpose()?;
            let api = Api::new(open_existing(home, &id)?);
            maintenance(&api, &id, span, reason.as_deref(), end, json)
        }
        BackendCommand::Events {
            id,
            json,
            limit,
            since,
        } => {
            names::check_backend_id(&id)?;
            let api = Api::new(open_existing(home, &id)?);
            super::events::events(&api, &id, json, limit, since.as_deref())
        }
        BackendCommand::Kinds { kind } => kinds(kind.as_deref()),
    }
}

/// `backend availability` as text: the windows, MTTR, then the incidents, oldest first.
fn availability_text(report: &AvailabilityReport) -> String {
    let percent = |p: Option<f64>| p.map_or_else(|| "?".to_string(), |p| format!("{p:.3} %"));
    let moment = |text: &str| {
        timestamp::parse(text).map_or_else(|| text.to_string(), |at| timestamp::local_minute(&at))
    };
    let mut out = format!(
        "backend {}: polls answered over 24 h {}, 7 d {}, 30 d {}\n",
        sanitize(&report.backend, 80),
        percent(report.up_24h),
        percent(report.up_7d),
        percent(report.up_30d)
    );
    let closed = report.incidents.iter().filter(|i| !i.ongoing).count() as u64;
    out.push_str(&match report.mttr_secs {
        Some(mttr) => format!(
            "mean time to recover: {} over {}\n",
            duration(mttr),
            plural(closed, "closed incident", "closed incidents")
        ),
        None => "mean time to recover: ? (no closed incident)\n".to_string(),
    });
    if report.incidents.is_empty() {
        out.push_str("no incident in the kept history (30 days)\n");
        return out;
    }
    let rows: Vec<Vec<String>> = report
        .incidents
        .iter()
        .map(|i| {
            // Times read from a 10-minute bucket are known to within it.
            let mark = if i.approximate { "~" } else { "" };
            vec![
                format!("{mark}{}", moment(&i.start)),
                i.end.as_deref().map_or_else(
                    || "ongoing".to_string(),
                    |end| format!("{mark}{}", moment(end)),
                ),
                duration(i.duration_secs),
                i.failed_polls.to_string(),
                i.reason
                    .as_deref()
                    .map_or_else(|| "unknown".to_string(), |r| sanitize(r, 200)),
            ]
        })
        .collect();
    out.push_str(&table(
        &["START", "END", "DURATION", "FAILED POLLS", "REASON"],
        &rows,
    ));
    if report.incidents.iter().any(|i| i.approximate) {
        out.push_str("~ known to within a 10-minute bucket\n");
    }
    out
}

/// `backend maintenance`: start, end or show a backend's window.
fn maintenance(
    api: &Api,
    id: &str,
    span: Option<std::time::Duration>,
    reason: Option<&str>,
    end: bool,
    as_json: bool,
) -> CliResult {
    // Every form names a backend that exists: a window of no backend is a typo.
    api.get_backend(id)?;
    let shown = sanitize(id, 80);
    let window = match (span, end) {
        (Some(span), _) => {
            let window = api.start_maintenance(id, span, reason)?;
            if !as_json {
                println!(
                    "'{shown}' in maintenance until {} ({}): polled as usual, alerts held",
                    crate::store::timestamp::local_minute(&window.until),
                    crate::store::maintenance::span_left(span)
                );
            }
            Some(window)
        }
        (None, true) => {
            let ended = api.end_maintenance(id)?;
            if !as_json {
                match &ended {
                    Some(_) => println!("maintenance of '{shown}' ended"),
                    None => println!("'{shown}' was not in maintenance"),
                }
            }
            // What it is in now: none.
            None
        }
        (None, false) => {
            let window = api.maintenance(id)?;
            if !as_json {
                let now = chrono::Utc::now();
                match &window {
                    Some(window) => println!(
                        "'{shown}' in maintenance until {} ({} left){}",
                        crate::store::timestamp::local_minute(&window.until),
                        crate::store::maintenance::span_left(window.left(now)),
                        window
                            .reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default()
                    ),
                    None => println!("'{shown}' is not in maintenance"),
                }
            }
            window
        }
    };
    if as_json {
        return print_json(&maintenance_json(id, window.as_ref()));
    }
    Ok(())
}

/// `{"backend", "maintenance": {since, until, reason, left_secs} | null}`.
fn maintenance_json(id: &str, window: Option<&crate::store::Maintenance>) -> Value {
    let now = chrono::Utc::now();
    json!({
        "backend": id,
        "maintenance": window.map(|w| json!({
            "since": crate::store::timestamp::format(w.since),
            "until": crate::store::timestamp::format(w.until),
            "reason": w.reason,
            "left_secs": w.left(now).as_secs(),
        })),
    })
}

/// The JSON face of a backend: no secrets, their names in `secrets_set`.
fn backend_json(backend: &BackendDoc) -> Value {
    let (config, secrets_set) = backends::public_config(backend.config());
    let supported = Kind::parse(backend.kind()).is_ok();
    let problems: Vec<String> = if supported {
        backends::problems(backend.config())
            .iter()
            .map(ToString::to_string)
            .collect()
    } else {
        backends::common_field_problems(backend.config())
            .iter()
            .map(ToString::to_string)
            .collect()
    };
    json!({
        "id": backend.id,
        "type": backend.kind(),
        "supported": supported,
        "unsupported_reason": (!supported).then(|| crate::poll::unsupported_reason(backend)),
        "enabled": backend.enabled(),
        "updated": backend.updated().map(|ts| ts.to_rfc3339()),
        "config": config,
        "secrets_set": secrets_set,
        "problems": problems,
    })
}

fn error_json(err: &StoreError) -> Value {
    match err {
        StoreError::Corrupt { path, reason } => json!({"path": path, "reason": reason}),
        StoreError::Io { path, source } => json!({"path": path, "reason": source.to_string()}),
        other => json!({"path": null, "reason": other.to_string()}),
    }
}

fn print_json(value: &Value) -> CliResult {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
    println!("{text}");
    Ok(())
}

/// The JSON face of a backend kept in one of the dashboard's formats (read-only).
fn foreign_json(backend: &ForeignBackend) -> Value {
    let (fields, secrets_set) = backends::public_config(&backend.fields);
    json!({
        "name": backend.name,
        "type": backend.kind,
        "enabled": backend.enabled,
        "description": backend.description,
        "source": backend.source.to_string(),
        "path": backend.path,
        "policy_path": backend.policy_path,
        "read_only": true,
        "fields": fields,
        "secrets_set": secrets_set,
    })
}

/// The dashboard's backends under ours, marked read-only with the file each comes from.
fn print_foreign(listing: &crate::store::ForeignListing) {
    if listing.backends.is_empty() {
        return;
    }
    let rows: Vec<Vec<String>> = listing
        .backends
        .iter()
        .map(|b| {
            vec![
                sanitize(&b.name, 40),
                sanitize(&b.kind, 20),
                match b.enabled {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "?".into(),
                },
                format!("{} ({})", b.source, b.path.display()),
                if b.policy_path.is_some() { "yes" } else { "no" }.into(),
            ]
        })
        .collect();
    println!();
    println!(
        "read-only: {} backend{} in the Python dashboard's own files (shown, never changed here)",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" }
    );
    print!(
        "{}",
        table(&["NAME", "TYPE", "ENABLED", "FROM", "POLICY"], &rows)
    );
}

pub fn list(store: &Store, as_json: bool) -> CliResult {
    let api = Api::new(store.clone());
    let listing = api.list_backends();
    let foreign = api.foreign_backends();
    if as_json {
        let backends: Vec<Value> = listing.backends.iter().map(backend_json).collect();
        let read_only: Vec<Value> = foreign.backends.iter().map(foreign_json).collect();
        let errors: Vec<Value> = listing
            .errors
            .iter()
            .chain(&foreign.errors)
            .map(error_json)
            .collect();
        print_json(&json!({"backends": backends, "read_only": read_only, "errors": errors}))?;
    } else {
        let rows: Vec<Vec<String>> = listing
            .backends
            .iter()
            .map(|b| {
                let kind = Kind::parse(b.kind());
                vec![
                    shown_id(&b.id),
                    sanitize(b.kind(), 20),
                    if b.enabled() { "yes" } else { "no" }.into(),
                    b.updated()
                        .map(|ts| {
                            ts.with_timezone(&chrono::Local)
                                .format("%Y-%m-%d %H:%M:%S")
                                .to_string()
                        })
                        .unwrap_or_else(|| "unknown".into()),
                    kind.map(|k| k.target(b.config()))
                        .unwrap_or_else(|_| "(kind not polled here)".into()),
                ]
            })
            .collect();
        if rows.is_empty() {
            println!(
                "no backends in {} (add one with: ipfs-kit-tui backend add ID --type KIND ...)",
                api.home().display()
            );
        } else {
            print!(
                "{}",
                table(&["ID", "TYPE", "ENABLED", "UPDATED", "TARGET"], &rows)
            );
        }
        print_foreign(&foreign);
    }
    for backend in &listing.backends {
        let id = sanitize(&backend.id, 80);
        if Kind::parse(backend.kind()).is_err() {
            eprintln!(
                "note: backend '{id}': {}",
                crate::poll::unsupported_reason(backend)
            );
            continue;
        }
        for problem in backends::problems(backend.config()) {
            eprintln!("warning: backend '{id}': {problem}");
        }
    }
    for err in listing.errors.iter().chain(&foreign.errors) {
        eprintln!("error: {}", sanitize(&err.to_string(), 1000));
    }
    Ok(())
}

fn show(api: &Api, id: &str, as_json: bool) -> CliResult {
    let backend = api.get_backend(id)?;
    if as_json {
        return print_json(&backend_json(&backend));
    }
    let kind = Kind::parse(backend.kind()).ok();
    let updated = backend
        .updated()
        .map(|ts| {
            format!(
                "{} ({})",
                ts.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S"),
                age(crate::store::timestamp::age_secs(&ts))
            )
        })
        .unwrap_or_else(|| "unknown".into());
    println!("id:       {}", shown_id(&backend.id));
    match kind {
        Some(kind) => println!("type:     {kind} ({})", kind.description()),
        None => println!(
            "type:     {} (not polled here: {})",
            sanitize(backend.kind(), 40),
            crate::poll::unsupported_reason(&backend)
        ),
    }
    println!("enabled:  {}", if backend.enabled() { "yes" } else { "no" });
    println!("updated:  {updated}");
    println!("file:     {}", backend.path.display());
    println!("config:");
    let fields = backends::display_fields(backend.config());
    let width = fields
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    for (key, value) in &fields {
        let note = match kind {
            Some(kind) if key != "type" && kind.field(key).is_none() => "  (not used here; kept)",
            _ => "",
        };
        println!("  {key:width$}  {value}{note}");
    }
    let problems = match kind {
        Some(_) => backends::problems(backend.config()),
        None => backends::common_field_problems(backend.config()),
    };
    for problem in problems {
        println!("problem:  {problem}");
    }
    Ok(())
}

/// An id as a list shows it: one the creation rule allows as it is; any other (the Python
/// library allows spaces, accents, a leading `_`) quoted, so that it can be pasted into a shell.
fn shown_id(id: &str) -> String {
    if names::is_conventional_backend_id(id) {
        id.to_string()
    } else {
        format!("'{}'", sanitize(id, 80))
    }
}

fn remove(api: &Api, id: &str, yes: bool) -> CliResult {
    // Read it first: a missing backend is bad input, and the prompt names what goes.
    let description = match api.get_backend(id) {
        Ok(backend) => {
            let target = Kind::parse(backend.kind())
                .map(|k| k.target(backend.config()))
                .unwrap_or_default();
            format!(
                "'{}' ({}, {target})",
                sanitize(id, 80),
                sanitize(backend.kind(), 20)
            )
        }
        Err(ApiError::Store(StoreError::Corrupt { .. })) => {
            format!("'{id}' (its file does not parse)")
        }
        Err(err) => return Err(err.into()),
    };
    if !yes {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Err(CliError::usage(format!(
                "refusing to remove backend {description} without confirmation: not a terminal; pass --yes"
            )));
        }
        eprint!("Remove backend {description}? This deletes backends/{id}.json. [y/N] ");
        std::io::stderr().flush().ok();
        let mut answer = String::new();
        stdin
            .lock()
            .read_line(&mut answer)
            .map_err(|e| CliError::failure(format!("cannot read the answer: {e}")))?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            return Err(CliError::failure(format!(
                "not removed: backend '{id}' is kept"
            )));
        }
    }
    api.remove_backend(id)?;
    println!("removed backend '{id}'");
    Ok(())
}

fn kinds(only: Option<&str>) -> CliResult {
    let kinds: Vec<Kind> = match only {
        Some(name) => vec![Kind::parse(name)?],
        None => Kind::ALL.to_vec(),
    };
    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!("{kind}: {}", kind.description());
        let spec = kind.spec();
        let requests = spec.pulse_requests();
        println!(
            "  watching costs: {requests} request{} per poll, whatever the backend's size{}",
            if requests == 1 { "" } else { "s" },
            if spec.has_inventory() {
                "; a budgeted inventory (listings, walks, counts) every inventory_secs"
            } else {
                ""
            }
        );
        let rows: Vec<Vec<String>> = kind
            .fields()
            .map(|f| {
                let mut notes = Vec::new();
                if f.required {
                    notes.push("required".to_string());
                }
                if f.secret {
                    notes.push("secret (or env:NAME)".to_string());
                }
                if let Some(default) = f.default {
                    notes.push(format!("default {}", default.to_json()));
                }
                vec![
                    format!("  {}", f.name),
                    f.type_hint(),
                    notes.join(", "),
                    f.help.to_string(),
                ]
            })
            .collect();
        print!(
            "{}",
            table(&["  FIELD", "VALUE", "NOTES", "MEANING"], &rows)
        );
    }
    Ok(())
}
