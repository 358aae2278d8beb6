//! Typed fact values and their deterministic JSON form.
//!
//! Plain JSON maps onto the plain variants (object → [`Value::Map`], array → [`Value::List`],
//! number → [`Value::Int`] or [`Value::Float`], string, bool). The domain types carry a one-key
//! tag object so that they survive a round trip: `{"$timestamp": "2020-08-01T10:00:00.000Z"}`,
//! `{"$version": "10.0.17763"}`, `{"$bytes": "00ff"}`. A fact with provenance is written
//! `{"$value": …, "$source": {…}}`. Map keys starting with `$` are reserved for these tags.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::provenance::Provenance;

/// A value at a path in the fact map, with where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub value: Value,
    /// `None` for facts written by hand (inline test facts) or computed without a source.
    pub source: Option<Arc<Provenance>>,
}

/// A typed fact value. Registry `REG_DWORD` is an [`Value::Int`], `REG_MULTI_SZ` a list of
/// strings: rules never re-parse text.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Fact>),
    Map(BTreeMap<String, Fact>),
    Timestamp(Timestamp),
    Version(Version),
    Bytes(Vec<u8>),
}

impl Fact {
    pub fn new(value: impl Into<Value>) -> Self {
        Fact { value: value.into(), source: None }
    }

    pub fn with_source(value: impl Into<Value>, source: Arc<Provenance>) -> Self {
        Fact { value: value.into(), source: Some(source) }
    }

    /// An empty map, the usual root of a collector's output.
    pub fn map() -> Self {
        Fact::new(Value::Map(BTreeMap::new()))
    }

    pub fn as_map(&self) -> Option<&BTreeMap<String, Fact>> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut BTreeMap<String, Fact>> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Follows `segments` through nested maps (exact key match).
    pub fn get_path<S: AsRef<str>>(&self, segments: &[S]) -> Option<&Fact> {
        let mut cur = self;
        for seg in segments {
            cur = cur.as_map()?.get(seg.as_ref())?;
        }
        Some(cur)
    }

    /// Inserts `fact` at `segments`, creating intermediate maps. A non-map in the way is
    /// replaced by a map; callers that care use [`crate::FactMap::merge`].
    pub fn insert_path<S: AsRef<str>>(&mut self, segments: &[S], fact: Fact) {
        let Some((last, parents)) = segments.split_last() else {
            *self = fact;
            return;
        };
        let mut cur = self;
        for seg in parents {
            if cur.as_map().is_none() {
                *cur = Fact::map();
            }
            let Value::Map(m) = &mut cur.value else { unreachable!("made a map just above") };
            cur = m.entry(seg.as_ref().to_owned()).or_insert_with(Fact::map);
        }
        if cur.as_map().is_none() {
            *cur = Fact::map();
        }
        if let Value::Map(m) = &mut cur.value {
            m.insert(last.as_ref().to_owned(), fact);
        }
    }

    /// Number of leaf facts below (and including) this one.
    pub fn leaf_count(&self) -> usize {
        match &self.value {
            Value::List(l) => l.iter().map(Fact::leaf_count).sum(),
            Value::Map(m) => m.values().map(Fact::leaf_count).sum(),
            _ => 1,
        }
    }
}

impl Value {
    /// The type's name as rule authors see it in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "bool",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Timestamp(_) => "timestamp",
            Value::Version(_) => "version",
            Value::Bytes(_) => "bytes",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
}

impl fmt::Display for Value {
    /// A short human rendering: scalars as themselves, containers summarised.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(l) => {
                f.write_str("[")?;
                for (i, item) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if i == 8 {
                        write!(f, "… {} more", l.len() - i)?;
                        break;
                    }
                    write!(f, "{}", item.value)?;
                }
                f.write_str("]")
            }
            Value::Map(m) => write!(f, "{{map of {}}}", m.len()),
            Value::Timestamp(t) => write!(f, "{t}"),
            Value::Version(v) => write!(f, "{v}"),
            Value::Bytes(b) => write!(f, "hex:{}", hex(b)),
        }
    }
}

macro_rules! value_from {
    ($($t:ty => $variant:ident $(as $conv:ty)?),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self { Value::$variant(v $(as $conv)?) }
        })*
    };
}
value_from!(bool => Bool, i64 => Int, i32 => Int as i64, u32 => Int as i64, f64 => Float,
    String => Str, Timestamp => Timestamp, Version => Version);

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}

impl From<Vec<Fact>> for Value {
    fn from(v: Vec<Fact>) -> Self {
        Value::List(v)
    }
}

impl From<BTreeMap<String, Fact>> for Value {
    fn from(v: BTreeMap<String, Fact>) -> Self {
        Value::Map(v)
    }
}

/// A point in time, milliseconds since the Unix epoch, UTC. Rendered as RFC 3339.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// From a civil UTC date and time. Returns `None` for an impossible date.
    pub fn from_civil(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<Self> {
        if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) || h > 23 || mi > 59 {
            return None;
        }
        // A leap second is folded onto the next second rather than refused.
        if s > 60 || ms > 999 {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
        Some(Timestamp(secs * 1000 + i64::from(ms)))
    }

    /// The UTC calendar year it falls in.
    pub fn year(self) -> i64 {
        civil_from_days(self.0.div_euclid(1000).div_euclid(86_400)).0
    }

    /// Parses RFC 3339 as this type renders it (`YYYY-MM-DDTHH:MM:SS[.fff]Z`), also with a space
    /// for `T` and an offset `±HH:MM`.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if b[10] != b'T' && b[10] != b't' && b[10] != b' ' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let mut rest = &s[19..];
        let mut ms = 0u32;
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let mut padded: String = frac[..digits].chars().take(3).collect();
            while padded.len() < 3 {
                padded.push('0');
            }
            ms = padded.parse().ok()?;
            rest = &frac[digits..];
        }
        let offset_min: i64 = match rest {
            "Z" | "z" | "" => 0,
            _ => {
                let sign = match rest.as_bytes()[0] {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let oh: i64 = rest.get(1..3)?.parse().ok()?;
                let om: i64 = rest.get(4..6)?.parse().ok()?;
                if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                    return None;
                }
                sign * (oh * 60 + om)
            }
        };
        let t = Timestamp::from_civil(i64::from(y), mo, d, h, mi, sec, ms)?;
        Some(Timestamp(t.0 - offset_min * 60_000))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, mo, d) = civil_from_days(days);
        write!(f, "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z", sod / 3600, (sod / 60) % 60, sod % 60)
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A dotted numeric version such as `10.0.17763.1879`, compared component by component
/// (missing components count as 0, so `6.3` == `6.3.0`).
#[derive(Clone, Debug, Eq)]
pub struct Version(pub Vec<u64>);

impl Version {
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if s.is_empty() {
            return None;
        }
        s.split('.').map(|p| p.parse::<u64>().ok()).collect::<Option<Vec<_>>>().map(Version)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl std::hash::Hash for Version {
    /// Consistent with `==`: trailing zero components do not count (`6.3` and `6.3.0` hash alike).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let significant = self.0.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
        self.0[..significant].hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let n = self.0.len().max(other.0.len());
        (0..n)
            .map(|i| {
                let a = self.0.get(i).copied().unwrap_or(0);
                let b = other.0.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

pub(crate) fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    b.iter().fold(String::with_capacity(b.len() * 2), |mut s, x| {
        let _ = write!(s, "{x:02x}");
        s
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

// ---- JSON ----

impl Serialize for Fact {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.source {
            None => self.value.serialize(s),
            Some(src) => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("$source", src.as_ref())?;
                m.serialize_entry("$value", &self.value)?;
                m.end()
            }
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Float(x) => s.serialize_f64(*x),
            Value::Str(v) => s.serialize_str(v),
            Value::List(l) => l.serialize(s),
            Value::Map(m) => m.serialize(s),
            Value::Timestamp(t) => tagged(s, "$timestamp", &t.to_string()),
            Value::Version(v) => tagged(s, "$version", &v.to_string()),
            Value::Bytes(b) => tagged(s, "$bytes", &hex(b)),
        }
    }
}

fn tagged<S: Serializer>(s: S, tag: &str, v: &str) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(tag, v)?;
    m.end()
}

impl<'de> Deserialize<'de> for Fact {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let json = serde_json::Value::deserialize(d)?;
        Fact::from_json(json).map_err(D::Error::custom)
    }
}

impl Fact {
    /// Converts plain or tagged JSON into a fact (see the module docs for the tags).
    pub fn from_json(json: serde_json::Value) -> Result<Fact, String> {
        use serde_json::Value as J;
        Ok(match json {
            J::Null => return Err("null is not a fact value; leave the key out instead".into()),
            J::Bool(b) => Fact::new(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Fact::new(i),
                None => Fact::new(n.as_f64().ok_or("number out of range")?),
            },
            J::String(s) => Fact::new(s),
            J::Array(a) => Fact::new(a.into_iter().map(Fact::from_json).collect::<Result<Vec<_>, _>>()?),
            J::Object(mut o) => {
                if o.contains_key("$value") {
                    let value = o.remove("$value").map(Fact::from_json).transpose()?.map(|f| f.value);
                    let source = match o.remove("$source") {
                        Some(src) => Some(Arc::new(
                            serde_json::from_value::<Provenance>(src).map_err(|e| format!("$source: {e}"))?,
                        )),
                        None => None,
                    };
                    if let Some(k) = o.keys().next() {
                        return Err(format!("unexpected key {k:?} beside $value"));
                    }
                    return Ok(Fact { value: value.ok_or("$value missing")?, source });
                }
                if o.len() == 1 {
                    let (k, v) = o.iter().next().map(|(k, v)| (k.clone(), v.clone())).ok_or("empty")?;
                    let text = || v.as_str().map(str::to_owned).ok_or(format!("{k} wants a string"));
                    match k.as_str() {
                        "$timestamp" => {
                            let t = text()?;
                            return Timestamp::parse_rfc3339(&t)
                                .map(Fact::new)
                                .ok_or(format!("bad timestamp {t:?}"));
                        }
                        "$version" => {
                            let t = text()?;
                            return Version::parse(&t).map(Fact::new).ok_or(format!("bad version {t:?}"));
                        }
                        "$bytes" => {
                            let t = text()?;
                            return unhex(&t)
                                .map(|b| Fact::new(Value::Bytes(b)))
                                .ok_or(format!("bad hex {t:?}"));
                        }
                        _ => {}
                    }
                }
                if let Some(k) = o.keys().find(|k| k.starts_with('$')) {
                    return Err(format!("unknown tag {k:?} (keys starting with `$` are reserved)"));
                }
                let mut m = BTreeMap::new();
                for (k, v) in o {
                    m.insert(k, Fact::from_json(v)?);
                }
                Fact::new(Value::Map(m))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn timestamp_renders_and_parses() {
        let t = Timestamp::from_civil(2020, 8, 1, 10, 5, 7, 42).expect("valid");
        assert_eq!(t.to_string(), "2020-08-01T10:05:07.042Z");
        assert_eq!(Timestamp::parse_rfc3339("2020-08-01T10:05:07.042Z"), Some(t));
        assert_eq!(Timestamp::parse_rfc3339("2020-08-01 12:05:07.042+02:00"), Some(t));
        assert_eq!(Timestamp::from_civil(2021, 2, 29, 0, 0, 0, 0), None);
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn versions_compare_numerically() {
        let v = |s| Version::parse(s).expect("valid");
        assert!(v("10.0.17763") > v("10.0.9600"));
        assert_eq!(v("6.3"), v("6.3.0"));
        assert!(Version::parse("6.x").is_none());
        let set: std::collections::HashSet<Version> = [v("6.3"), v("6.3.0"), v("6.3.0.0")].into();
        assert_eq!(set.len(), 1, "equal versions must hash alike");
    }

    #[test]
    fn tagged_json_round_trips() {
        let json = r#"{"a":{"$timestamp":"2020-08-01T10:05:07.042Z"},"b":{"$version":"6.3.9600"},"c":{"$bytes":"00ff"},"d":[1,2.5,"x",true]}"#;
        let f: Fact = serde_json::from_str(json).expect("parses");
        assert_eq!(serde_json::to_string(&f).expect("serialises"), json);
        assert!(serde_json::from_str::<Fact>(r#"{"$nope":1}"#).is_err());
        assert!(serde_json::from_str::<Fact>("null").is_err());
    }

    proptest! {
        #[test]
        fn timestamp_round_trip(ms in -62_135_596_800_000i64..253_402_300_799_999i64) {
            let t = Timestamp(ms);
            prop_assert_eq!(Timestamp::parse_rfc3339(&t.to_string()), Some(t));
        }
    }
}
