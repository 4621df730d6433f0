use std::io::IsTerminal;

use clap::Parser;
use ipfs_kit_tui::cli::{self, Cli};

fn main() -> color_eyre::Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version print as clap prints them.
        Err(err) if !err.use_stderr() => err.exit(),
        // A usage error is one line (the field and the reason), exit code 2, like every other.
        Err(err) => {
            // clap's first paragraph names the argument and the reason; fold it onto one line.
            let text = err.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.is_empty())
                .collect();
            eprintln!("{} (see ipfs-kit-tui --help)", first.join(" "));
            std::process::exit(2);
        }
    };
    let console =
        cli.command.is_none() && std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    // The hooks go in before the terminal is touched; the console's also restore the terminal.
    if console {
        ipfs_kit_tui::tui::terminal::install_hooks()?;
    } else {
        color_eyre::install()?;
    }
    let result = if console {
        cli::run_console(&cli)
    } else {
        cli::run(cli)
    };
    if let Err(err) = result {
        eprintln!("error: {}", err.message);
        std::process::exit(err.code);
    }
    Ok(())
}
