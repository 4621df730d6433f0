use clap::Parser;

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = ipfs_kit_tui::cli::Cli::parse();
    if let Err(err) = ipfs_kit_tui::cli::run(cli) {
        eprintln!("error: {}", err.message);
        std::process::exit(err.code);
    }
    Ok(())
}
