//! Property tests for the record splitter and the streaming scanner: any byte input, no panic,
//! every byte in exactly one record, and chunking never changes the result.

use std::sync::Arc;

use proptest::prelude::*;
use triage_collectors::logs::configmgr::Framing;
use triage_collectors::logs::record::{split_records, Rules, Splitter};
use triage_collectors::logs::{scan_reader, scan_reader_with, Format, ScanLimits};
use triage_facts::{ScanPlan, SignalSpec};

fn all_rules() -> Vec<Rules> {
    vec![
        Rules::Wsus,
        Rules::ConfigMgr(Framing::Cmtrace),
        Rules::ConfigMgr(Framing::Sms),
        Rules::ConfigMgr(Framing::Plain),
        Rules::Custom(Arc::new(regex::bytes::Regex::new(r"^(?:\d{4}-)").expect("valid"))),
    ]
}

fn formats() -> Vec<Format> {
    vec![
        Format::Wsus,
        Format::ConfigMgr(Framing::Cmtrace),
        Format::ConfigMgr(Framing::Sms),
        Format::ConfigMgr(Framing::Plain),
    ]
}

/// Bytes that look like log text more often than uniform noise would.
fn loggy() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"2020-08-01 10:00:00.000 UTC\tError\tw3wp.5\tA.B\tforcibly closed\r\n".to_vec()),
        Just(b"   at System.Net.TlsStream.Write()\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"<![LOG[msg".to_vec()),
        Just(b"]LOG]!><time=\"1:2:3.4+0\" date=\"1-2-2020\" thread=\"1\">\n".to_vec()),
        Just(b"m  $$<C><01-02-2020 01:02:03.000+60><thread=1 (0x1)>\r\n".to_vec()),
        Just(b"SCHANNEL Protocol 'TLS 1.0' disabled https://x.example/a EventId=384,Type=I\n".to_vec()),
        Just(vec![0xFF, 0xFE]),
        Just(vec![0, 0, 0xC3]),
        prop::collection::vec(any::<u8>(), 0..40),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// Raw offsets of the malformed sequences of `bytes`, decoded in one go by `encoding_rs`, as
/// the scanner reports them (after the BOM, if any).
fn malformed_offsets(bytes: &[u8]) -> Vec<u64> {
    let enc = triage_collectors::text::sniff(bytes);
    let bom = enc.bom_len(bytes);
    let mut dec = enc.encoding_rs().new_decoder_without_bom_handling();
    let mut src = &bytes[bom..];
    let mut at = bom as u64;
    let mut out = Vec::new();
    let mut text = String::with_capacity(bytes.len() * 3 + 16);
    loop {
        let (res, read) = dec.decode_to_string_without_replacement(src, &mut text, true);
        match res {
            encoding_rs::DecoderResult::Malformed(bad, extra) => {
                out.push((at + read as u64).saturating_sub(u64::from(bad) + u64::from(extra)));
            }
            _ => break,
        }
        src = &src[read..];
        at += read as u64;
    }
    out
}

/// The offsets of the scanner's malformed-sequence errors, when none was left out.
fn scanned_malformed(out: &triage_collectors::logs::ScanOutput) -> Option<Vec<u64>> {
    let capped = out.errors.iter().any(|e| e.message.contains("more errors"));
    let offsets = out.errors.iter().filter(|e| e.message.starts_with("malformed")).filter_map(|e| e.offset);
    (!capped).then(|| offsets.collect())
}

fn plan() -> ScanPlan {
    let sig = |id: &str, log: &str, p: &str| SignalSpec {
        id: id.into(),
        log: log.into(),
        pattern: p.into(),
        max_matches: 5,
    };
    ScanPlan {
        signals: vec![
            sig("p/a", "wsus", "forcibly closed"),
            sig("p/b", "wsus", r"at (?P<where>\S+)"),
            sig("p/c", "configmgr", r"(?i)msg|thread"),
            sig("p/d", "configmgr", r"^m\s"),
        ],
        log_kinds: vec![],
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn splitter_accounts_for_every_byte(bytes in prop_oneof![loggy(), prop::collection::vec(any::<u8>(), 0..600)]) {
        for rules in all_rules() {
            let recs = split_records(&bytes, &mut Splitter::new(rules));
            let mut pos = 0;
            let mut line = 1;
            for r in &recs {
                prop_assert_eq!(r.start, pos);
                prop_assert!(r.end > r.start);
                prop_assert_eq!(r.first_line, line);
                let newlines = bytes[r.start..r.end].iter().filter(|b| **b == b'\n').count() as u64;
                let ends_with_nl = bytes[r.end - 1] == b'\n';
                prop_assert_eq!(r.last_line, r.first_line + newlines - u64::from(ends_with_nl));
                pos = r.end;
                line = r.last_line + 1;
            }
            prop_assert_eq!(pos, bytes.len());
        }
    }

}

proptest! {
    // Each case compiles the signals a dozen times (slow in debug builds): fewer cases.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn scanner_never_panics_and_chunking_changes_nothing(bytes in loggy(), chunk in 1usize..300, max_record in 1usize..400) {
        let p = plan();
        for format in formats() {
            let whole = scan_reader(&bytes[..], "x.log", 0, &format, Some(&p));
            // Records are the splitter's records over the decoded text.
            let decoded = triage_collectors::text::decode(&bytes).text;
            let rules = match &format {
                Format::Wsus => Rules::Wsus,
                Format::ConfigMgr(f) => Rules::ConfigMgr(*f),
                Format::Custom(_) => unreachable!("not generated"),
            };
            let recs = split_records(decoded.as_bytes(), &mut Splitter::new(rules));
            prop_assert_eq!(whole.records, recs.len() as u64);
            prop_assert_eq!(whole.bytes, decoded.len() as u64);
            let small = scan_reader_with(&bytes[..], "x.log", 0, &format, Some(&p), ScanLimits { chunk, max_record_bytes: 1 << 20, ..ScanLimits::default() });
            prop_assert_eq!(&small.facts, &whole.facts);
            prop_assert_eq!(small.records, whole.records);
            prop_assert_eq!(small.lines, whole.lines);
            // Tiny record limits only split records into parts: no panic, same line count.
            let parts = scan_reader_with(&bytes[..], "x.log", 0, &format, Some(&p), ScanLimits { chunk, max_record_bytes: max_record, ..ScanLimits::default() });
            prop_assert_eq!(parts.lines, whole.lines);
            prop_assert_eq!(parts.bytes, whole.bytes);
            // UTF-8 read in place (or any encoding decoded) reports the malformed sequences a
            // decoder reading the whole input in one go reports, at the same offsets.
            let reference = malformed_offsets(&bytes);
            for out in [&whole, &small] {
                if let Some(got) = scanned_malformed(out) {
                    prop_assert_eq!(&got, &reference);
                }
            }
            // The single search over signals and built-ins finds what two searches find.
            let two = scan_reader_with(&bytes[..], "x.log", 0, &format, Some(&p), ScanLimits { chunk, one_search: false, ..ScanLimits::default() });
            prop_assert_eq!(&two.facts, &whole.facts);
            prop_assert_eq!(&two.errors, &whole.errors);
        }
    }
}
