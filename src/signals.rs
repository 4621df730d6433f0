//! The signals that end a long-running command (the console, the fleet view, `status --watch`,
//! `metrics`): SIGTERM, SIGHUP and SIGINT (Ctrl-C).
//!
//! Their streams are made once, before the command's loop, and kept: a signal that arrives
//! while the loop is busy elsewhere (printing a table, drawing) waits in its stream. A
//! `tokio::signal::ctrl_c()` future made anew on every turn of a loop misses one that comes
//! between two turns — and since the process's own handler is installed by then, Ctrl-C is
//! then lost for good (seen: `status --watch` ignoring Ctrl-C under load).

use tokio::signal::unix::{signal, Signal, SignalKind};

pub struct StopSignals {
    terminate: Signal,
    hangup: Signal,
    interrupt: Signal,
}

impl StopSignals {
    /// Starts listening now: a signal from here on is not lost.
    pub fn new() -> std::io::Result<StopSignals> {
        Ok(StopSignals {
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for one of them (one that came earlier is taken at once).
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
            _ = self.interrupt.recv() => {}
        }
    }
}
