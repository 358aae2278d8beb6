use clap::Parser;
mod cmd {
    pub mod probe;
}
#[derive(Parser)]
enum Cli {
    Probe(cmd::probe::ProbeArgs),
}
fn main() -> std::process::ExitCode {
    match Cli::parse() {
        Cli::Probe(a) => match cmd::probe::run(&a) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{e:?}");
                std::process::ExitCode::from(2)
            }
        },
    }
}
