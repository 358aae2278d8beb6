#![no_main]
//! `cargo fuzz run secrets`: see `triage_fuzz_targets::secrets`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::secrets(data);
});
