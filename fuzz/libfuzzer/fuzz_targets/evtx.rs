#![no_main]
//! `cargo fuzz run evtx`: see `triage_fuzz_targets::evtx`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::evtx(data);
});
