//! Where output goes and how it looks: stdout/stderr writers that treat a closed pipe as the end
//! of output rather than an error, colour decisions, and the progress spinner.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::ColorChoice;

/// Terminal facts decided once at start-up.
#[derive(Clone, Debug)]
pub struct Ui {
    /// Colour on stdout.
    pub color_out: bool,
    /// Colour on stderr.
    pub color_err: bool,
    /// Show a progress spinner on stderr.
    pub progress: bool,
    /// Width diagnostics are wrapped at.
    pub width: usize,
    /// Inputs are collected in parallel: their bars stack here.
    bars: MultiProgress,
}

impl Ui {
    pub fn detect(choice: ColorChoice) -> Ui {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |terminal: bool| match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && !no_color,
        };
        let out_term = io::stdout().is_terminal();
        let err_term = io::stderr().is_terminal();
        Ui {
            color_out: decide(out_term),
            color_err: decide(err_term),
            progress: err_term,
            // Off a terminal the width is fixed, so output does not depend on the environment.
            width: if out_term { terminal_width().unwrap_or(100) } else { 100 },
            bars: MultiProgress::with_draw_target(if err_term {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            }),
        }
    }

    /// A progress indicator on stderr, hidden unless stderr is a terminal: a spinner until the
    /// collectors report sizes, then bytes read out of the input's total.
    pub fn spinner(&self, message: String) -> ProgressBar {
        if !self.progress {
            return ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        }
        let bar = self.bars.add(ProgressBar::new_spinner());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {msg} {binary_bytes}/{binary_total_bytes} ({elapsed})")
        {
            bar.set_style(style);
        }
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }
}

impl Ui {
    /// The same, for output that goes to a file when `to_file`: no colour, the fixed width.
    pub fn for_output(&self, to_file: bool) -> Ui {
        let mut ui = self.clone();
        if to_file {
            ui.color_out = false;
            ui.width = 100;
        }
        ui
    }
}

fn terminal_width() -> Option<usize> {
    // `COLUMNS` is what shells export; without it, a conventional width.
    std::env::var("COLUMNS").ok()?.parse().ok().filter(|w| *w >= 40)
}

/// A writer for stdout or stderr. When the reader goes away (`EPIPE`), writing stops quietly:
/// later writes are discarded and reported as done, so the command finishes with its own exit
/// status instead of failing.
pub struct Out {
    inner: Box<dyn Write>,
    closed: bool,
}

impl Out {
    pub fn stdout() -> Out {
        Out { inner: Box::new(io::stdout().lock()), closed: false }
    }

    pub fn stderr() -> Out {
        Out { inner: Box::new(io::stderr()), closed: false }
    }

    /// Discards everything (`run -q`).
    pub fn sink() -> Out {
        Out { inner: Box::new(io::sink()), closed: false }
    }

    /// A new file (`run -o FILE`), created or truncated, written through a buffer.
    pub fn file(path: &std::path::Path) -> io::Result<Out> {
        let file = std::fs::File::create(path)?;
        Ok(Out { inner: Box::new(io::BufWriter::new(file)), closed: false })
    }

    /// Wraps any writer (tests).
    #[cfg(test)]
    pub fn new(inner: Box<dyn Write>) -> Out {
        Out { inner, closed: false }
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            r => r,
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            r => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from(io::ErrorKind::BrokenPipe))
        }
    }

    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipe_ends_output_quietly() {
        let mut out = Out::new(Box::new(Broken));
        assert!(writeln!(out, "first").is_ok());
        assert!(out.closed);
        assert!(writeln!(out, "second").is_ok());
        assert!(out.flush().is_ok());
    }

    #[test]
    fn other_write_errors_are_errors() {
        let mut out = Out::new(Box::new(Full));
        assert!(writeln!(out, "x").is_err());
        assert!(!out.closed);
    }
}
