#![no_main]
//! `cargo fuzz run capture`: see `triage_fuzz_targets::capture`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::capture(data);
});
