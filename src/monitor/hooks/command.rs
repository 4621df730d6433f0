//! The command: run through `sh -c` in its own process group with the payload on its standard
//! input, killed with everything it started when it overstays its limit, its output kept
//! (bounded) for the failure message; and the command as messages show it.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use tokio::sync::oneshot;

use super::{HookError, SHOWN_CHARS};

/// What is kept of a command's standard output and error, each, for the failure message.
pub const CAPTURE_LIMIT: usize = 4096;
/// How long a command's output is waited for once it has exited: something it started in the
/// background may hold its pipes open for much longer.
const OUTPUT_WAIT: Duration = Duration::from_millis(500);

/// A command as shown in messages: its program only (the rest may carry a token), or nothing
/// when the line starts with a variable assignment.
pub fn command_label(command: &str) -> String {
    match command.split_whitespace().next() {
        Some(program) if !program.contains('=') => {
            format!("command '{}'", crate::text::sanitize(program, 60))
        }
        _ => "command".to_string(),
    }
}

/// A command's process group: killed when the command overstays its limit or its delivery is
/// dropped (the runner stopped), so that nothing it started outlives it. Once the command
/// has exited by itself, what it left running in the background is its business.
struct ProcessGroup {
    id: u32,
    running: bool,
}

impl ProcessGroup {
    fn kill(&mut self) {
        if std::mem::take(&mut self.running) {
            // std signals only the child itself (sh): the group takes what it started too.
            if let Ok(id) = i32::try_from(self.id) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(id),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads a stream to its end on its own thread, keeping the first `CAPTURE_LIMIT` bytes (the
/// rest is read and dropped, so that the command never blocks on a full pipe). A plain thread,
/// not the blocking pool: a pipe held open by something the command left behind must not
/// hold up the runtime's shutdown.
fn capture(
    mut stream: impl Read + Send + 'static,
) -> Result<oneshot::Receiver<Vec<u8>>, HookError> {
    let (done, captured) = oneshot::channel();
    std::thread::Builder::new()
        .name("alert-hook-output".into())
        .spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            loop {
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let room = CAPTURE_LIMIT.saturating_sub(kept.len());
                        kept.extend_from_slice(&buf[..n.min(room)]);
                    }
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = done.send(kept);
        })
        .map_err(|e| HookError::Spawn(format!("cannot start a thread: {e}")))?;
    Ok(captured)
}

/// What the command said, for its failure message: its error output, else its output.
async fn said(stdout: oneshot::Receiver<Vec<u8>>, stderr: oneshot::Receiver<Vec<u8>>) -> String {
    let read = |captured: oneshot::Receiver<Vec<u8>>| async move {
        tokio::time::timeout(OUTPUT_WAIT, captured)
            .await
            .ok()
            .and_then(Result::ok)
            .map(|bytes| crate::text::sanitize(String::from_utf8_lossy(&bytes).trim(), SHOWN_CHARS))
            .unwrap_or_default()
    };
    let (out, err) = tokio::join!(read(stdout), read(stderr));
    if err.is_empty() {
        out
    } else {
        err
    }
}

/// Runs `command` through `sh -c` in its own process group with `payload` on its standard
/// input (then closed); fails on a non-zero exit, a signal, or when it outlives `limit`
/// (then the whole group is killed).
pub async fn run_command(command: &str, payload: &[u8], limit: Duration) -> Result<(), HookError> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| HookError::Spawn(format!("cannot start sh: {e}")))?;
    let mut group = ProcessGroup {
        id: child.id(),
        running: true,
    };
    if let Some(mut stdin) = child.stdin.take() {
        // The payload is a few KiB at most, less than a pipe holds: this write does not wait
        // for the command to read. A command that does not read it at all is fine (EPIPE).
        let _ = stdin.write_all(payload);
    }
    let stdout = child.stdout.take().map(capture).transpose()?;
    let stderr = child.stderr.take().map(capture).transpose()?;
    let (exited, exit) = oneshot::channel::<std::io::Result<ExitStatus>>();
    std::thread::Builder::new()
        .name("alert-hook-wait".into())
        .spawn(move || {
            let _ = exited.send(child.wait());
        })
        .map_err(|e| HookError::Spawn(format!("cannot start a thread: {e}")))?;
    let output = |stdout: Option<oneshot::Receiver<Vec<u8>>>,
                  stderr: Option<oneshot::Receiver<Vec<u8>>>| async move {
        match (stdout, stderr) {
            (Some(out), Some(err)) => said(out, err).await,
            _ => String::new(),
        }
    };
    let status = match tokio::time::timeout(limit, exit).await {
        Ok(Ok(Ok(status))) => {
            group.running = false;
            status
        }
        Ok(Ok(Err(err))) => return Err(HookError::Spawn(format!("cannot wait for it: {err}"))),
        Ok(Err(_)) => return Err(HookError::Spawn("its waiting thread ended".into())),
        Err(_) => {
            group.kill();
            return Err(HookError::TimedOut {
                limit,
                output: output(stdout, stderr).await,
            });
        }
    };
    if status.success() {
        return Ok(());
    }
    let output = output(stdout, stderr).await;
    Err(match (status.code(), status.signal()) {
        (Some(code), _) => HookError::Exit { code, output },
        (None, Some(signal)) => HookError::Signal { signal, output },
        (None, None) => HookError::Exit { code: -1, output },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_shown_by_their_program() {
        assert_eq!(
            command_label("notify.sh --token abc"),
            "command 'notify.sh'"
        );
        assert_eq!(command_label("TOKEN=abc notify.sh"), "command");
    }

    #[tokio::test]
    async fn commands_fail_on_exit_status_and_time_limit() {
        let limit = Duration::from_secs(5);
        assert!(run_command("cat >/dev/null", b"{}", limit).await.is_ok());
        let err = run_command("echo oops >&2; exit 3", b"{}", limit)
            .await
            .unwrap_err();
        assert_eq!(err.to_string(), "exit status 3: oops");
        let started = std::time::Instant::now();
        let err = run_command("sleep 30", b"{}", Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(err, HookError::TimedOut { .. }), "{err}");
        assert_eq!(err.to_string(), "still running after 0.2s: killed");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
