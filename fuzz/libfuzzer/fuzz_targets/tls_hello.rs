#![no_main]
//! `cargo fuzz run tls_hello`: see `triage_fuzz_targets::tls_hello`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    triage_fuzz_targets::tls_hello(data);
});
