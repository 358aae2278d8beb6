//! Temporary files never outlive the process: each lives in a
//! [`ScratchDir`](triage_collectors::scratch::ScratchDir), removed when dropped (a return, an
//! error, an unwinding panic), and [`on_signal`] removes them all on SIGINT, SIGTERM or SIGHUP
//! before exiting with 128 + the signal number, as a shell reports an interrupted command.

/// Installs the handler once (a thread waiting for the signals); a no-op after the first call
/// and where signals do not exist.
pub fn on_signal() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            // Without a handler the default applies (the process ends); the scratch folders are
            // then left to the system's temporary-folder cleaning, as before.
            let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
                return;
            };
            std::thread::spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    triage_collectors::scratch::remove_all();
                    std::process::exit(128 + sig);
                }
            });
        }
    });
}
