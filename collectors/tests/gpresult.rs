//! The gpresult collector. No public `gpresult /x` sample of this policy exists, so the fixture
//! (tests/data/gpresult) is built from Microsoft's documented Rsop schema, with the layout seen in
//! public `gpresult /x` output of other policies (each setting's `GPO` and `Precedence` in the
//! `…/Settings/Base` namespace, `Name` after each `Extension`), and written here as `gpresult /x`
//! writes it: UTF-16LE with a BOM and CRLF.

use std::path::Path;

use triage_collectors::gpresult::{self, GpresultCollector};
use triage_collectors::text;
use triage_facts::{Artifact, Collector, CollectorOutput, Fact, Recognition, Value};

fn fixture_text() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/gpresult/gpresult_ssl_cipher_order.xml");
    std::fs::read_to_string(path).expect("test data exists")
}

/// As `gpresult /x` writes it: UTF-16LE, BOM, CRLF.
fn as_gpresult_writes(text: &str) -> Vec<u8> {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let mut v = vec![0xFF, 0xFE];
    v.extend(crlf.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn get<'a>(out: &'a CollectorOutput, path: &[&str]) -> &'a Fact {
    out.facts.get_segments(path).unwrap_or_else(|| panic!("{path:?} missing in {:#?}", out.facts))
}

fn s(v: &str) -> Value {
    Value::Str(v.to_owned())
}

const CIPHERS: &str =
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384_P384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256_P256,\
                       TLS_RSA_WITH_AES_256_GCM_SHA384,TLS_RSA_WITH_AES_128_GCM_SHA256";

#[test]
fn applied_gpos_and_their_state() {
    let out = gpresult::collect_bytes("gpresult.xml", &as_gpresult_writes(&fixture_text()));
    assert_eq!(out.encoding.as_deref(), Some("utf-16le"));
    assert_eq!(out.errors, vec![]);
    assert_eq!(get(&out, &["gpo", "computer_name"]).value, s("CONTOSO\\WSUS01$"));
    assert_eq!(get(&out, &["gpo", "read_time"]).value, s("2024-03-12T09:41:27.0000000Z"));
    let Value::List(gpos) = &get(&out, &["gpo", "gpos"]).value else { panic!("list") };
    let field = |i: usize, k: &str| gpos[i].get_path(&[k]).map(|f| f.value.clone());
    let names: Vec<_> = (0..gpos.len()).filter_map(|i| field(i, "name")).collect();
    assert_eq!(
        names,
        [
            s("Default Domain Policy"),
            s("Servers - TLS Hardening"),
            s("Workstations Only"),
            s("Helpdesk Restricted"),
            s("Admin Desktop")
        ]
    );
    assert_eq!(field(1, "identifier"), Some(s("{6AC1786C-016F-11D2-945F-00C04FB984F9}")));
    assert_eq!(field(1, "domain"), Some(s("contoso.com")));
    assert_eq!(field(1, "link_order"), Some(Value::Int(1)));
    assert_eq!(field(1, "applied_order"), Some(Value::Int(2)));
    assert_eq!(field(1, "som"), Some(s("contoso.com/Servers")));
    assert_eq!(field(1, "applied"), Some(Value::Bool(true)));
    assert_eq!(field(1, "scope"), Some(s("computer")));
    // Filtered out by WMI.
    assert_eq!(field(2, "filter_allowed"), Some(Value::Bool(false)));
    assert_eq!(field(2, "filter_name"), Some(s("Client OS only")));
    assert_eq!(field(2, "link_order"), Some(Value::Int(2)));
    assert_eq!(field(2, "applied"), Some(Value::Bool(false)));
    // Denied by security filtering.
    assert_eq!(field(3, "access_denied"), Some(Value::Bool(true)));
    assert_eq!(field(3, "applied"), Some(Value::Bool(false)));
    assert_eq!(field(4, "scope"), Some(s("user")));
    let src = gpos[1].source.as_ref().expect("provenance");
    assert_eq!((src.line, src.key.as_deref()), (Some(43), Some("Computer/GPO/Servers - TLS Hardening")));
}

#[test]
fn administrative_template_policies() {
    let bytes = as_gpresult_writes(&fixture_text());
    let out = gpresult::collect_bytes("gpresult.xml", &bytes);
    let order = &["gpo", "policies", "SSL Cipher Suite Order"];
    let field = |path: &[&str], k: &str| {
        let mut p = path.to_vec();
        p.push(k);
        get(&out, &p).value.clone()
    };
    // Precedence 1 wins over the Default Domain Policy's precedence-2 "Disabled".
    assert_eq!(field(order, "state"), s("Enabled"));
    assert_eq!(field(order, "precedence"), Value::Int(1));
    assert_eq!(field(order, "category"), s("Network/SSL Configuration Settings"));
    assert_eq!(field(order, "gpo"), s("Servers - TLS Hardening"));
    assert_eq!(field(order, "gpo_identifier"), s("{6AC1786C-016F-11D2-945F-00C04FB984F9}"));
    let suites = get(&out, &["gpo", "policies", "SSL Cipher Suite Order", "settings", "SSL Cipher Suites"]);
    assert_eq!(suites.value, s(CIPHERS));
    let src = suites.source.as_ref().expect("provenance");
    assert_eq!(src.line, Some(140));
    assert_eq!(src.key.as_deref(), Some("Computer/Policy/SSL Cipher Suite Order/SSL Cipher Suites"));
    let span = src.span.expect("span");
    let decoded = text::decode(&bytes).text;
    assert_eq!(&decoded[span.start as usize..span.end as usize], format!("<q1:Value>{CIPHERS}</q1:Value>"));
    // Text elements are labels, not settings.
    let settings =
        get(&out, &["gpo", "policies", "SSL Cipher Suite Order", "settings"]).as_map().expect("map");
    assert_eq!(settings.len(), 1);

    let wu = &["gpo", "policies", "Specify intranet Microsoft update service location", "settings"];
    assert_eq!(
        field(wu, "Set the intranet update service for detecting updates:"),
        s("https://wsus01.contoso.com:8531")
    );
    assert_eq!(
        field(wu, "Select the proxy behavior for Windows Update client for detecting updates:"),
        s("Only use system proxy for detecting updates (default)")
    );
    let au = &["gpo", "policies", "Configure Automatic Updates", "settings"];
    assert_eq!(field(au, "Scheduled install time"), Value::Int(3));
    assert_eq!(field(au, "Install during automatic maintenance"), Value::Bool(false));
    assert_eq!(field(au, "Configure automatic updating:"), s("3 - Auto download and notify for install"));
    let ecc = &["gpo", "policies", "ECC Curve Order", "settings"];
    assert_eq!(
        field(ecc, "ECC Curve Order:"),
        Value::List(vec![Fact::new("NistP384"), Fact::new("NistP256")])
    );

    let user = &["gpo", "user_policies", "Remove access to use all Windows Update features"];
    assert_eq!(field(user, "gpo"), s("Admin Desktop"));
    assert!(out
        .facts
        .get_segments(&["gpo", "policies", "Remove access to use all Windows Update features"])
        .is_none());
    assert_eq!(out.items, 5 + 6, "GPOs and Policy elements read");
}

/// Other prefixes for the same namespaces, a default namespace on the policy, the losing
/// precedence first: the same facts.
#[test]
fn prefixes_do_not_matter() {
    let text = r#"<?xml version="1.0" encoding="utf-16"?>
<rsop:Rsop xmlns:rsop="http://www.microsoft.com/GroupPolicy/Rsop" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <rsop:ComputerResults>
    <rsop:GPO>
      <rsop:Name>Servers - TLS Hardening</rsop:Name>
      <rsop:Path><t:Identifier xmlns:t="http://www.microsoft.com/GroupPolicy/Types">{6AC1786C-016F-11D2-945F-00C04FB984F9}</t:Identifier></rsop:Path>
    </rsop:GPO>
    <rsop:ExtensionData>
      <s:Extension xmlns:s="http://www.microsoft.com/GroupPolicy/Settings" xmlns:q7="http://www.microsoft.com/GroupPolicy/Settings/Registry" xsi:type="q7:RegistrySettings">
        <q7:Policy>
          <q7:GPO><Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{00000000-0000-0000-0000-000000000000}</Identifier></q7:GPO>
          <q7:Precedence>2</q7:Precedence>
          <q7:Name>SSL Cipher Suite Order</q7:Name>
          <q7:State>Disabled</q7:State>
        </q7:Policy>
        <Policy xmlns="http://www.microsoft.com/GroupPolicy/Settings/Registry">
          <GPO><Identifier xmlns="http://www.microsoft.com/GroupPolicy/Types">{6ac1786c-016f-11d2-945f-00c04fb984f9}</Identifier></GPO>
          <Precedence>1</Precedence>
          <Name>SSL Cipher Suite Order</Name>
          <State>Enabled</State>
          <EditText><Name>SSL Cipher Suites</Name><Value>TLS_RSA_WITH_AES_256_GCM_SHA384</Value></EditText>
        </Policy>
        <other:Policy xmlns:other="urn:not-registry"><other:Name>Not an admin template</other:Name></other:Policy>
      </s:Extension>
    </rsop:ExtensionData>
  </rsop:ComputerResults>
</rsop:Rsop>
"#;
    let out = gpresult::collect_bytes("rsop.xml", &as_gpresult_writes(text));
    assert_eq!(out.errors, vec![]);
    let p = get(&out, &["gpo", "policies", "SSL Cipher Suite Order"]);
    assert_eq!(p.get_path(&["state"]).map(|f| &f.value), Some(&s("Enabled")));
    assert_eq!(p.get_path(&["gpo"]).map(|f| &f.value), Some(&s("Servers - TLS Hardening")));
    assert_eq!(
        p.get_path(&["settings", "SSL Cipher Suites"]).map(|f| &f.value),
        Some(&s("TLS_RSA_WITH_AES_256_GCM_SHA384"))
    );
    assert_eq!(get(&out, &["gpo", "policies"]).as_map().map(|m| m.len()), Some(1));
}

#[test]
fn malformed_and_hostile_documents() {
    let full = fixture_text();
    let cut = &full[..full.len() / 2];
    let out = gpresult::collect_bytes("gpresult.xml", &as_gpresult_writes(cut));
    assert!(out.facts.root.is_empty());
    assert_eq!(out.errors.len(), 1, "{:?}", out.errors);
    assert!(out.errors[0].message.starts_with("malformed XML"));
    assert!(
        out.errors[0].line.is_some_and(|l| l > 100) && out.errors[0].column.is_some(),
        "{:?}",
        out.errors
    );

    let mut bytes = as_gpresult_writes(&full);
    bytes.truncate(bytes.len() - 1); // half a code unit
    let out = gpresult::collect_bytes("gpresult.xml", &bytes);
    assert!(out.errors.iter().any(|e| e.offset == Some(bytes.len() as u64 - 1)), "{:?}", out.errors);

    let bomb = "<?xml version=\"1.0\"?>\r\n<!DOCTYPE Rsop [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\r\n\
                <Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\"><ReadTime>&b;</ReadTime></Rsop>";
    let out = gpresult::collect_bytes("gpresult.xml", &as_gpresult_writes(bomb));
    assert!(out.facts.root.is_empty());
    assert_eq!(out.errors.len(), 1);
    assert!(out.errors[0].message.contains("DTDs are refused"));

    let out = gpresult::collect_bytes("gpresult.xml", b"<Rsop xmlns=\"urn:other\"/>");
    assert!(out.facts.root.is_empty());
    assert!(out.errors[0].message.contains("not `Rsop`"), "{:?}", out.errors);

    // A policy without a name is reported; the rest is read.
    let text = "<Rsop xmlns=\"http://www.microsoft.com/GroupPolicy/Rsop\"><ComputerResults><ExtensionData>\n\
                <Extension xmlns=\"http://www.microsoft.com/GroupPolicy/Settings\" xmlns:q1=\"http://www.microsoft.com/GroupPolicy/Settings/Registry\">\n\
                <q1:Policy><q1:State>Enabled</q1:State></q1:Policy>\n\
                <q1:Policy><q1:Name>P</q1:Name><q1:Numeric><q1:Name>N</q1:Name><q1:Value>x</q1:Value></q1:Numeric></q1:Policy>\n\
                </Extension></ExtensionData></ComputerResults></Rsop>";
    let out = gpresult::collect_bytes("gpresult.xml", text.as_bytes());
    let lines: Vec<_> = out.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [Some(3), Some(4)], "{:?}", out.errors);
    assert!(out.facts.get_segments(&["gpo", "policies", "P"]).is_some());
}

#[test]
fn recognition() {
    let rec = |name: &str, head: &[u8]| {
        GpresultCollector.recognise(&Artifact {
            rel_path: name,
            path: Path::new(name),
            head,
            size: head.len() as u64,
        })
    };
    let bytes = as_gpresult_writes(&fixture_text());
    assert_eq!(rec("gpresult.xml", &bytes[..8192]), Recognition::ByNameAndContent);
    assert_eq!(rec("wsus01-policies.xml", &bytes[..8192]), Recognition::ByContent);
    assert_eq!(rec("gpresult.xml", b"<configuration/>"), Recognition::No);
}
