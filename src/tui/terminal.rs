//! Taking the terminal and always giving it back: on quit, Ctrl-C, SIGTERM, SIGHUP and panics,
//! raw mode, the alternate screen, mouse capture, bracketed paste and the cursor are restored.

use std::io::{BufWriter, Stdout, Write};

use crossterm::event::{DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, BeginSynchronizedUpdate, EndSynchronizedUpdate,
    EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

/// Output is buffered so that a frame leaves in one write, not hundreds.
pub type Backend = CrosstermBackend<BufWriter<Stdout>>;

/// Installs color-eyre's report and panic hooks, with the panic hook restoring the terminal
/// before it prints, so a panic message is readable and the shell is usable afterwards.
pub fn install_hooks() -> color_eyre::Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default().into_hooks();
    eyre_hook.install()?;
    let panic_hook = panic_hook.into_panic_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        panic_hook(info);
    }));
    Ok(())
}

/// Puts the terminal back as we found it. Safe to call more than once and when the terminal is
/// gone (an SSH link that dropped): errors are ignored, there is nobody to tell.
pub fn restore() {
    let _ = disable_raw_mode();
    let mut out = std::io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = out.flush();
}

/// Mouse reports for presses and the wheel only, in SGR encoding (DEC 1000 + 1006). Not
/// crossterm's `EnableMouseCapture`, which also asks for every motion (1003): over SSH each
/// move of the pointer would be a report sent and a message handled, for nothing we use.
struct EnableClickReports;

impl crossterm::Command for EnableClickReports {
    fn write_ansi(&self, f: &mut impl std::fmt::Write) -> std::fmt::Result {
        f.write_str("\x1b[?1000h\x1b[?1006h")
    }
}

/// The terminal in raw mode on the alternate screen; restored when dropped.
pub struct TerminalGuard {
    pub terminal: Terminal<Backend>,
}

impl TerminalGuard {
    /// `mouse`: ask for clicks and the wheel (else the terminal keeps the mouse, for
    /// selecting text).
    pub fn enter(mouse: bool) -> color_eyre::Result<TerminalGuard> {
        enable_raw_mode()?;
        let mut out = std::io::stdout();
        let mut entered = execute!(
            out,
            EnterAlternateScreen,
            EnableBracketedPaste,
            cursor::Hide
        );
        if mouse && entered.is_ok() {
            entered = execute!(out, EnableClickReports);
        }
        if let Err(err) = entered {
            restore();
            return Err(err.into());
        }
        let backend = CrosstermBackend::new(BufWriter::with_capacity(64 * 1024, std::io::stdout()));
        match Terminal::new(backend) {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(err) => {
                restore();
                Err(err.into())
            }
        }
    }

    /// Draws one frame inside DEC 2026 synchronized output, so the terminal shows it whole.
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> std::io::Result<()> {
        execute!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        self.terminal.draw(render)?;
        execute!(self.terminal.backend_mut(), EndSynchronizedUpdate)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        restore();
    }
}
