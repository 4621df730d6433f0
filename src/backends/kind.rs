//! What a backend kind is: one registered type that knows its config fields, how to describe
//! where a backend lives, and its three probes — the *pulse* (every poll: liveness and cheap
//! counters, a fixed small number of requests whatever the backend's size), the *inventory*
//! (everything that grows with the backend: listings, walks, counts; on a slow clock, within a
//! budget, resumable where the API allows it) and the *test* (step by step, for a person).

use serde_json::{Map, Value};

use super::{FieldError, FieldSpec};
use crate::probe::{Budget, ProbeContext, ProbeFuture, TestRun};
use crate::stats::{InventoryRun, Measurement};

pub type Config = Map<String, Value>;

pub trait BackendKind: Sync + 'static {
    /// The name used in files (`config.type`) and on the command line.
    fn name(&self) -> &'static str;

    /// One line for the kind chooser and `backend kinds`.
    fn description(&self) -> &'static str;

    /// The kind's own fields (without the common ones), in the order a form shows them.
    fn fields(&self) -> &'static [FieldSpec];

    /// Rules that span fields (a password needs a user, ...).
    fn check_combination(&self, _config: &Config) -> Result<(), FieldError> {
        Ok(())
    }

    /// Where the backend lives, for lists (never a secret).
    fn target(&self, config: &Config) -> String;

    /// Requests one pulse makes (at most; fewer when optional fields are unset). Documented
    /// in `backend kinds` and checked by the request-counting tests.
    fn pulse_requests(&self) -> u32;

    /// Every poll. `Err` only when the liveness call failed (or credentials were rejected):
    /// any other call that fails goes into `Measurement::failed`, naming the figures it feeds.
    fn pulse<'a>(
        &'a self,
        ctx: &'a ProbeContext,
        config: &'a Config,
    ) -> ProbeFuture<'a, Measurement>;

    /// Whether the kind has anything to count on the slow clock.
    fn has_inventory(&self) -> bool {
        false
    }

    /// One inventory run, going on from `resume` when given. Stops at `budget`.
    fn inventory<'a>(
        &'a self,
        _ctx: &'a ProbeContext,
        _config: &'a Config,
        _resume: Option<Value>,
        _budget: &'a Budget,
    ) -> ProbeFuture<'a, InventoryRun> {
        Box::pin(async { Ok(InventoryRun::default()) })
    }

    /// Whether the kind can run the opt-in write check (`backend test --write`).
    fn has_write_check(&self) -> bool {
        false
    }

    /// The opt-in write check: put a small object or file, read it back, compare, delete it,
    /// each a step with its time. Never run unless asked for.
    fn write_check<'a>(
        &'a self,
        _ctx: &'a ProbeContext,
        _config: &'a Config,
        _run: &'a mut TestRun,
    ) -> ProbeFuture<'a, ()> {
        Box::pin(async {
            Err(crate::probe::ProbeError::Config(
                "this kind has no write check".into(),
            ))
        })
    }

    /// The kind's own test steps: reachable, authenticated, one real read. The shared test
    /// adds the pulse (what the monitor runs) after these.
    fn test<'a>(
        &'a self,
        ctx: &'a ProbeContext,
        config: &'a Config,
        run: &'a mut TestRun,
    ) -> ProbeFuture<'a, ()>;
}

/// Implements [`BackendKind`] for a kind's unit struct from its module's items: `DESCRIPTION`,
/// `FIELDS`, `fn target(&Config) -> String`, and the async functions `pulse(ctx, config)`,
/// `test(ctx, config, run)` and, for a kind with one, `inventory(ctx, config, resume, budget)`.
/// `check:` names the function that checks rules across fields.
macro_rules! backend_kind {
    (
        $kind:ident, $name:literal, pulse_requests: $requests:expr
        $(, check: $check:path)?
        $(, inventory: $inventory:path)?
        $(, write_check: $write_check:path)? $(,)?
    ) => {
        impl $crate::backends::kind::BackendKind for $kind {
            fn name(&self) -> &'static str {
                $name
            }
            fn description(&self) -> &'static str {
                DESCRIPTION
            }
            fn fields(&self) -> &'static [$crate::backends::FieldSpec] {
                FIELDS
            }
            $(
                fn check_combination(
                    &self,
                    config: &$crate::backends::kind::Config,
                ) -> Result<(), $crate::backends::FieldError> {
                    $check(config)
                }
            )?
            fn target(&self, config: &$crate::backends::kind::Config) -> String {
                target(config)
            }
            fn pulse_requests(&self) -> u32 {
                $requests
            }
            fn pulse<'a>(
                &'a self,
                ctx: &'a $crate::probe::ProbeContext,
                config: &'a $crate::backends::kind::Config,
            ) -> $crate::probe::ProbeFuture<'a, $crate::stats::Measurement> {
                Box::pin(pulse(ctx, config))
            }
            $(
                fn has_inventory(&self) -> bool {
                    true
                }
                fn inventory<'a>(
                    &'a self,
                    ctx: &'a $crate::probe::ProbeContext,
                    config: &'a $crate::backends::kind::Config,
                    resume: Option<serde_json::Value>,
                    budget: &'a $crate::probe::Budget,
                ) -> $crate::probe::ProbeFuture<'a, $crate::stats::InventoryRun> {
                    Box::pin($inventory(ctx, config, resume, budget))
                }
            )?
            $(
                fn has_write_check(&self) -> bool {
                    true
                }
                fn write_check<'a>(
                    &'a self,
                    ctx: &'a $crate::probe::ProbeContext,
                    config: &'a $crate::backends::kind::Config,
                    run: &'a mut $crate::probe::TestRun,
                ) -> $crate::probe::ProbeFuture<'a, ()> {
                    Box::pin($write_check(ctx, config, run))
                }
            )?
            fn test<'a>(
                &'a self,
                ctx: &'a $crate::probe::ProbeContext,
                config: &'a $crate::backends::kind::Config,
                run: &'a mut $crate::probe::TestRun,
            ) -> $crate::probe::ProbeFuture<'a, ()> {
                Box::pin(test(ctx, config, run))
            }
        }
    };
}
pub(crate) use backend_kind;
