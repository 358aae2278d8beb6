#![no_main]
//! `cargo fuzz run pack_load`: see `triage_fuzz_targets::pack_load`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::pack_load(data);
});
