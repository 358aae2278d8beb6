//! The .NET configuration collector on the article's `w3wp.exe.config`, UTF-16 files, and
//! malformed or hostile XML.

use std::path::Path;

use triage_collectors::dotnet_config::{self, DotnetConfigCollector};
use triage_collectors::text;
use triage_facts::{Artifact, Collector, CollectorOutput, Fact, Recognition, Value};

const DONT_SYSTEM_DEFAULT: &str = "Switch.System.Net.DontEnableSystemDefaultTlsVersions";
const DONT_STRONG: &str = "Switch.System.Net.DontEnableSchUseStrongCrypto";

fn sample() -> Vec<u8> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/config/w3wp.exe.config_mslearn_new_file.xml");
    std::fs::read(path).expect("test data exists")
}

fn utf16le_bom(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    v.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
    v
}

fn switch<'a>(out: &'a CollectorOutput, file: &str, name: &str) -> Option<&'a Fact> {
    out.facts.get_segments(&["config", file, "switches", name])
}

fn spanned(bytes: &[u8], f: &Fact) -> String {
    let text = text::decode(bytes).text;
    let span = f.source.as_ref().and_then(|s| s.span).expect("span");
    text[span.start as usize..span.end as usize].to_owned()
}

fn messages(out: &CollectorOutput) -> Vec<String> {
    out.errors
        .iter()
        .map(|e| format!("{}:{} {}", e.line.unwrap_or(0), e.column.unwrap_or(0), e.message))
        .collect()
}

#[test]
fn the_articles_w3wp_config() {
    let bytes = sample();
    let out = dotnet_config::collect_bytes("inetsrv/w3wp.exe.config_mslearn_new_file.xml", &bytes);
    assert_eq!(messages(&out), Vec::<String>::new());
    let f = switch(&out, "w3wp.exe.config", DONT_SYSTEM_DEFAULT).expect("switch read");
    assert_eq!(f.value, Value::Bool(false));
    let src = f.source.as_ref().expect("provenance");
    assert_eq!(src.line, Some(4));
    assert_eq!(src.collector, "dotnet-config");
    assert_eq!(src.artifact, "inetsrv/w3wp.exe.config_mslearn_new_file.xml");
    assert_eq!(
        src.key.as_deref(),
        Some("configuration/runtime/AppContextSwitchOverrides/@value/Switch.System.Net.DontEnableSystemDefaultTlsVersions")
    );
    assert_eq!(spanned(&bytes, f), "Switch.System.Net.DontEnableSystemDefaultTlsVersions=false");
    assert_eq!(out.items, 1);
}

const WSUS_SERVICE_CONFIG: &str = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n\
<!-- WsusService.exe.config -->\r\n\
<configuration>\r\n\
  <startup useLegacyV2RuntimeActivationPolicy=\"true\">\r\n\
    <supportedRuntime version=\"v4.0\" />\r\n\
  </startup>\r\n\
  <runtime>\r\n\
    <assemblyBinding xmlns=\"urn:schemas-microsoft-com:asm.v1\">\r\n\
      <probing privatePath=\"bin\" />\r\n\
    </assemblyBinding>\r\n\
    <AppContextSwitchOverrides value=\"Switch.System.Net.DontEnableSchUseStrongCrypto=FALSE; \r\n\
      Switch.System.Net.DontEnableSystemDefaultTlsVersions=true;Bogus;=true;X.Y=1;\r\n\
      Switch.System.Net.DontEnableSchUseStrongCrypto=false\" />\r\n\
  </runtime>\r\n\
  <appSettings>\r\n\
    <AppContextSwitchOverrides value=\"Ignored.Here=true\" />\r\n\
  </appSettings>\r\n\
</configuration>\r\n";

#[test]
fn utf16_config_with_every_kind_of_pair() {
    let bytes = utf16le_bom(WSUS_SERVICE_CONFIG);
    let out = dotnet_config::collect_bytes("WSUSSERVICE.EXE.CONFIG", &bytes);
    assert_eq!(out.encoding.as_deref(), Some("utf-16le"));
    let file = "WsusService.exe.config";
    assert_eq!(switch(&out, file, DONT_STRONG).map(|f| &f.value), Some(&Value::Bool(false)));
    assert_eq!(switch(&out, file, DONT_SYSTEM_DEFAULT).map(|f| &f.value), Some(&Value::Bool(true)));
    let later = switch(&out, file, DONT_STRONG).expect("set");
    assert_eq!(later.source.as_ref().and_then(|s| s.line), Some(13), "the later setting is kept");
    assert_eq!(spanned(&bytes, later), "Switch.System.Net.DontEnableSchUseStrongCrypto=false");
    let switches = out.facts.get_segments(&["config", file, "switches"]).and_then(Fact::as_map).expect("map");
    assert_eq!(switches.len(), 2);
    let msgs = messages(&out);
    assert_eq!(msgs.len(), 5, "{msgs:?}");
    assert!(msgs[0].starts_with("12:0 switch `Bogus` has no `=value`"), "{msgs:?}");
    assert!(msgs[1].starts_with("12:0 switch setting `=true` has no name"), "{msgs:?}");
    assert!(msgs[2].starts_with("12:0 switch `X.Y` has value `1`"), "{msgs:?}");
    assert!(
        msgs[3].starts_with(
            "13:0 switch `Switch.System.Net.DontEnableSchUseStrongCrypto` is set again (first on line 11)"
        ),
        "{msgs:?}"
    );
    assert!(
        msgs[4].starts_with("16:0 `AppContextSwitchOverrides` outside `configuration/runtime`"),
        "{msgs:?}"
    );
}

#[test]
fn config_without_overrides_is_present_and_empty() {
    let out = dotnet_config::collect_bytes("web.config", b"<configuration><system.web/></configuration>");
    assert_eq!(messages(&out), Vec::<String>::new());
    let switches = out.facts.get_segments(&["config", "web.config", "switches"]).and_then(Fact::as_map);
    assert_eq!(switches.map(|m| m.len()), Some(0));
}

#[test]
fn entity_references_give_the_whole_attribute_span() {
    let text = "<configuration>\n<runtime>\n<AppContextSwitchOverrides value=\"A&#46;B=true;C=false\"/>\n</runtime>\n</configuration>";
    let out = dotnet_config::collect_bytes("x.exe.config", text.as_bytes());
    assert_eq!(messages(&out), Vec::<String>::new());
    let f = switch(&out, "x.exe.config", "A.B").expect("decoded name");
    assert_eq!(f.value, Value::Bool(true));
    assert_eq!(spanned(text.as_bytes(), f), "A&#46;B=true;C=false");
}

#[test]
fn malformed_xml_has_line_and_column() {
    let text = "<?xml version=\"1.0\"?>\n<configuration>\n  <runtime>\n    <AppContextSwitchOverrides value=\"a=true\">\n  </runtime>\n</configuration>\n";
    let out = dotnet_config::collect_bytes("w3wp.exe.config", text.as_bytes());
    assert!(out.facts.root.is_empty());
    assert_eq!(out.errors.len(), 1);
    let e = &out.errors[0];
    assert_eq!((e.line, e.column.is_some()), (Some(5), true), "{e:?}");
    assert!(e.message.starts_with("malformed XML"), "{e:?}");
}

#[test]
fn entity_bomb_is_refused() {
    let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n \
                <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n \
                <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n\
                <configuration><runtime><AppContextSwitchOverrides value=\"&lol3;=true\"/></runtime></configuration>\n";
    let out = dotnet_config::collect_bytes("w3wp.exe.config", &utf16le_bom(bomb));
    assert!(out.facts.root.is_empty());
    assert_eq!(messages(&out).len(), 1);
    assert!(out.errors[0].message.contains("DTDs are refused"), "{:?}", out.errors);
    assert_eq!(out.errors[0].line, Some(2));
}

#[test]
fn truncated_utf16_and_wrong_roots() {
    let mut bytes = utf16le_bom(WSUS_SERVICE_CONFIG);
    bytes.truncate(bytes.len() / 4 * 2 + 1); // mid-file, half a code unit
    let out = dotnet_config::collect_bytes("WsusService.exe.config", &bytes);
    assert!(out.errors.iter().any(|e| e.offset == Some(bytes.len() as u64 - 1)), "{:?}", out.errors);
    assert!(out.errors.iter().any(|e| e.message.starts_with("malformed XML")), "{:?}", out.errors);
    let out = dotnet_config::collect_bytes("a.config", b"<settings/>");
    assert_eq!(messages(&out), vec!["1:0 root element is `settings`, not `configuration`".to_owned()]);
    assert!(out.facts.root.is_empty());
    let out = dotnet_config::collect_bytes("a.config", b"");
    assert_eq!(out.errors.len(), 1);
}

#[test]
fn recognition() {
    let rec = |name: &str, head: &[u8]| {
        DotnetConfigCollector.recognise(&Artifact {
            rel_path: name,
            path: Path::new(name),
            head,
            size: head.len() as u64,
        })
    };
    assert_eq!(rec("w3wp.exe.config", &sample()), Recognition::ByNameAndContent);
    assert_eq!(rec("w3wp.exe.config_mslearn_new_file.xml", &sample()), Recognition::ByNameAndContent);
    assert_eq!(rec("copy.xml", &utf16le_bom(WSUS_SERVICE_CONFIG)), Recognition::ByContent);
    assert_eq!(rec("w3wp.exe.config", b"<Rsop/>"), Recognition::No);
    assert_eq!(rec("notes.txt", b"configuration"), Recognition::No);
}

/// The start of a JDK's Java Flight Recorder settings (`lib/jfr/default.jfc`, also found under
/// `/etc/java-*/jfr/`): XML with a `<configuration>` root, which is not .NET's.
const JFC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>

<!--
     Recommended way to edit .jfc files is to use the configure command of
     the 'jfr' tool, i.e. jfr configure, or JDK Mission Control
     see Window -> Preferences -> Java -> Flight Recorder
-->
<configuration version="2.0" label="Continuous" description="Low overhead configuration safe for continuous use in production environments, typically less than 1 % overhead." provider="Oracle">

  <event name="jdk.ResourceLeakDeclaration">
    <setting name="enabled">false</setting>
  </event>
"#;

#[test]
fn java_flight_recorder_settings_are_not_dotnet_config() {
    let art =
        |rel: &'static str| Artifact { rel_path: rel, path: Path::new(rel), head: JFC.as_bytes(), size: 0 };
    assert_eq!(DotnetConfigCollector.recognise(&art("etc/java-17-openjdk/jfr/default.jfc")), Recognition::No);
    // Renamed, it is still told apart by its events.
    assert_eq!(DotnetConfigCollector.recognise(&art("profile.config")), Recognition::No);
    // A .NET config still is one.
    let net = sample();
    let a = Artifact { rel_path: "w3wp.exe.config", path: Path::new("w3wp.exe.config"), head: &net, size: 0 };
    assert_eq!(DotnetConfigCollector.recognise(&a), Recognition::ByNameAndContent);
}
