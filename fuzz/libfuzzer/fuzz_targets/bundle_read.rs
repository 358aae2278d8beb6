#![no_main]
//! `cargo fuzz run bundle_read`: see `triage_fuzz_targets::bundle_read`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::bundle_read(data);
});
