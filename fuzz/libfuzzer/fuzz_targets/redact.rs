#![no_main]
//! `cargo fuzz run redact`: see `triage_fuzz_targets::redact`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::redact(data);
});
