//! How the engine probes a backend: the `Prober` it is given (the live one over HTTP and the
//! filesystem, or a scripted one in the engine's own tests and benches).

use std::future::Future;
use std::pin::Pin;

use crate::backends::Kind;
use crate::poll::{self, InventoryError};
use crate::probe::{ProbeContext, ProbeError};
use crate::stats::{InventoryRecord, Measurement};
use crate::store::{BackendDoc, Store};

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Probes a backend. The live one goes over HTTP and the filesystem; tests script their own.
pub trait Prober: Send + Sync + 'static {
    /// One pulse, under the one rule for "down" (`poll::pulse`).
    fn pulse(&self, backend: BackendDoc) -> BoxFuture<Result<Measurement, ProbeError>>;

    /// Whether the backend's kind has an inventory.
    fn has_inventory(&self, _backend: &BackendDoc) -> bool {
        false
    }

    /// One inventory run now, kept in the store (`poll::run_inventory`).
    fn inventory(
        &self,
        _store: Store,
        backend: BackendDoc,
    ) -> BoxFuture<Result<InventoryRecord, InventoryError>> {
        Box::pin(async move {
            match Kind::parse(backend.kind()) {
                Ok(kind) => Err(InventoryError::NothingToCount(kind)),
                Err(err) => Err(err.into()),
            }
        })
    }
}

/// The real prober: `poll::pulse` and `poll::run_inventory` with the shared client.
pub struct LiveProber {
    pub ctx: ProbeContext,
}

impl Prober for LiveProber {
    fn pulse(&self, backend: BackendDoc) -> BoxFuture<Result<Measurement, ProbeError>> {
        let ctx = self.ctx.clone();
        Box::pin(async move {
            let kind =
                Kind::parse(backend.kind()).map_err(|e| ProbeError::Config(e.to_string()))?;
            poll::pulse(&ctx, kind.spec(), backend.config()).await
        })
    }

    fn has_inventory(&self, backend: &BackendDoc) -> bool {
        Kind::parse(backend.kind()).is_ok_and(|kind| kind.spec().has_inventory())
    }

    fn inventory(
        &self,
        store: Store,
        backend: BackendDoc,
    ) -> BoxFuture<Result<InventoryRecord, InventoryError>> {
        let ctx = self.ctx.clone();
        Box::pin(async move { poll::run_inventory(&store, &ctx, &backend).await })
    }
}
