//! The authoritative workload's zone, generated once and written three ways: octoDNS YAML for us, an
//! RFC 1035 master file for NSD and Knot, and dnsperf query lists. Deterministic for a given seed.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// TTL of every generated record (octoDNS's default, and what our YAML loader assumes).
pub const TTL: u32 = 3600;

/// Records every generated zone has besides the shape's names: SOA, 2 apex NS, the apex A, 2 name
/// server addresses, the wildcard, the child's 2 NS and 2 glue addresses (see `records`).
pub const FIXED_RECORDS: u32 = 11;

/// How many names of each kind the zone holds.
#[derive(Clone, Copy, Debug)]
pub struct ZoneShape {
    pub a_names: u32,
    pub mx_names: u32,
    pub cname_names: u32,
    pub aaaa_names: u32,
}

impl ZoneShape {
    /// The benchmark zone: 10,000 A, 1,000 MX, 1,000 CNAME, 1,000 AAAA.
    pub const ISSUE_6: ZoneShape = ZoneShape {
        a_names: 10_000,
        mx_names: 1_000,
        cname_names: 1_000,
        aaaa_names: 1_000,
    };

    /// `records` records in total (the fixed ones included), in the same proportions as the
    /// benchmark's standard zone.
    pub fn with_records(records: u32) -> ZoneShape {
        let tenth = records.saturating_sub(FIXED_RECORDS) / 13;
        ZoneShape {
            a_names: records
                .saturating_sub(FIXED_RECORDS)
                .saturating_sub(3 * tenth)
                .max(1),
            mx_names: tenth,
            cname_names: tenth,
            aaaa_names: tenth,
        }
    }
}

/// One record: owner relative to the origin (`""` is the apex), type, and RDATA in master syntax.
/// The same text serves YAML, where every value here is a scalar or a preference/exchange pair.
#[derive(Clone, Debug)]
pub enum Record {
    Soa,
    Ns {
        owner: String,
        target: String,
    },
    A {
        owner: String,
        address: Ipv4Addr,
    },
    Aaaa {
        owner: String,
        address: Ipv6Addr,
    },
    Mx {
        owner: String,
        preference: u16,
        exchange: String,
    },
    Cname {
        owner: String,
        target: String,
    },
}

fn host(index: u32) -> String {
    format!("host{index}")
}

/// 10.0.0.0/8 holds 16 million addresses: one per A name of the largest zone.
fn host_address(index: u32) -> Ipv4Addr {
    Ipv4Addr::from(0x0a00_0000 | (index & 0x00ff_ffff))
}

/// Every record of the zone, apex first, one owner's records together.
pub fn records(origin: &str, shape: ZoneShape) -> Vec<Record> {
    let absolute = |relative: &str| format!("{relative}.{origin}");
    let mut records = vec![
        Record::Soa,
        Record::Ns {
            owner: String::new(),
            target: absolute("ns1"),
        },
        Record::Ns {
            owner: String::new(),
            target: absolute("ns2"),
        },
        Record::A {
            owner: String::new(),
            address: Ipv4Addr::new(192, 0, 2, 1),
        },
        Record::A {
            owner: "ns1".into(),
            address: Ipv4Addr::new(192, 0, 2, 53),
        },
        Record::A {
            owner: "ns2".into(),
            address: Ipv4Addr::new(192, 0, 2, 54),
        },
        // A wildcard (RFC 4592) below an empty non-terminal.
        Record::A {
            owner: "*.wild".into(),
            address: Ipv4Addr::new(192, 0, 2, 99),
        },
        // A delegated child with in-bailiwick glue (RFC 1034 §4.2.1).
        Record::Ns {
            owner: "child".into(),
            target: absolute("ns1.child"),
        },
        Record::Ns {
            owner: "child".into(),
            target: absolute("ns2.child"),
        },
        Record::A {
            owner: "ns1.child".into(),
            address: Ipv4Addr::new(192, 0, 2, 201),
        },
        Record::A {
            owner: "ns2.child".into(),
            address: Ipv4Addr::new(192, 0, 2, 202),
        },
    ];
    let a_names = shape.a_names.max(1);
    records.extend((0..shape.a_names).map(|index| Record::A {
        owner: host(index),
        address: host_address(index),
    }));
    records.extend((0..shape.mx_names).map(|index| Record::Mx {
        owner: format!("mail{index}"),
        preference: 10,
        exchange: absolute(&host(index % a_names)),
    }));
    records.extend((0..shape.cname_names).map(|index| Record::Cname {
        owner: format!("alias{index}"),
        target: absolute(&host(index % a_names)),
    }));
    records.extend((0..shape.aaaa_names).map(|index| Record::Aaaa {
        owner: format!("v6host{index}"),
        address: Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            0,
            0,
            0,
            (index >> 16) as u16,
            index as u16,
        ),
    }));
    records
}

fn owner_of(record: &Record) -> &str {
    match record {
        Record::Soa => "",
        Record::Ns { owner, .. }
        | Record::A { owner, .. }
        | Record::Aaaa { owner, .. }
        | Record::Mx { owner, .. }
        | Record::Cname { owner, .. } => owner,
    }
}

/// The SOA's fields, shared by both formats.
const SOA_MNAME: &str = "ns1";
const SOA_SERIAL: u32 = 2026112501;

/// RFC 1035 §5.1 master file.
pub fn write_master_file(
    origin: &str,
    records: &[Record],
    output: &mut impl Write,
) -> io::Result<()> {
    writeln!(output, "$ORIGIN {origin}\n$TTL {TTL}")?;
    for record in records {
        let owner = match owner_of(record) {
            "" => "@",
            owner => owner,
        };
        match record {
            Record::Soa => writeln!(
                output,
                "@ IN SOA {SOA_MNAME}.{origin} hostmaster.{origin} {SOA_SERIAL} 7200 900 1209600 300"
            )?,
            Record::Ns { target, .. } => writeln!(output, "{owner} IN NS {target}")?,
            Record::A { address, .. } => writeln!(output, "{owner} IN A {address}")?,
            Record::Aaaa { address, .. } => writeln!(output, "{owner} IN AAAA {address}")?,
            Record::Mx { preference, exchange, .. } => {
                writeln!(output, "{owner} IN MX {preference} {exchange}")?
            }
            Record::Cname { target, .. } => writeln!(output, "{owner} IN CNAME {target}")?,
        }
    }
    Ok(())
}

fn yaml_type_and_value(origin: &str, record: &Record) -> (&'static str, String) {
    match record {
        Record::Soa => (
            "SOA",
            format!(
                "{{mname: {SOA_MNAME}.{origin}, rname: hostmaster.{origin}, serial: {SOA_SERIAL}, \
                 refresh: 7200, retry: 900, expire: 1209600, minimum: 300}}"
            ),
        ),
        Record::Ns { target, .. } => ("NS", target.clone()),
        Record::A { address, .. } => ("A", address.to_string()),
        Record::Aaaa { address, .. } => ("AAAA", format!("'{address}'")),
        Record::Mx {
            preference,
            exchange,
            ..
        } => (
            "MX",
            format!("{{preference: {preference}, exchange: {exchange}}}"),
        ),
        Record::Cname { target, .. } => ("CNAME", target.clone()),
    }
}

/// octoDNS YAML: one key per owner, a list of `{type, values}` when it holds several types.
pub fn write_yaml(origin: &str, records: &[Record], output: &mut impl Write) -> io::Result<()> {
    writeln!(
        output,
        "# Generated by bench generate_zone for {origin}; do not edit."
    )?;
    let mut index = 0;
    while let Some(first) = records.get(index) {
        let owner = owner_of(first);
        let end = records[index..]
            .iter()
            .position(|record| owner_of(record) != owner)
            .map_or(records.len(), |offset| index + offset);
        let group = &records[index..end];
        // One record: octoDNS's short form, a single map (fewer YAML nodes than a list of one).
        if let [record] = group {
            let (record_type, value) = yaml_type_and_value(origin, record);
            writeln!(output, "'{owner}': {{type: {record_type}, value: {value}}}")?;
            index = end;
            continue;
        }
        writeln!(output, "'{owner}':")?;
        // Consecutive records of one type form one RRset.
        let mut start = 0;
        while let Some(record) = group.get(start) {
            let (record_type, _) = yaml_type_and_value(origin, record);
            let stop = group[start..]
                .iter()
                .position(|other| yaml_type_and_value(origin, other).0 != record_type)
                .map_or(group.len(), |offset| start + offset);
            writeln!(output, "  - type: {record_type}\n    values:")?;
            for member in &group[start..stop] {
                writeln!(output, "      - {}", yaml_type_and_value(origin, member).1)?;
            }
            start = stop;
        }
        index = end;
    }
    Ok(())
}

/// Which questions a query list asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryMix {
    /// The authoritative query mix: mostly A hits plus MX, CNAME, AAAA, NXDOMAIN, wildcard, referral.
    Authoritative,
    /// The same without referrals (their servers are unreachable): for resolver cache hits.
    Resolver,
    /// Every A name once, in order: fills a resolver's cache with `a_names` distinct names.
    DistinctA,
}

/// One dnsperf input line per query: `name TYPE`.
pub fn write_queries(
    origin: &str,
    shape: ZoneShape,
    mix: QueryMix,
    count: u32,
    seed: u64,
    output: &mut impl Write,
) -> io::Result<()> {
    let a_names = shape.a_names.max(1);
    if mix == QueryMix::DistinctA {
        for index in 0..shape.a_names {
            writeln!(output, "{}.{origin} A", host(index))?;
        }
        return Ok(());
    }
    let mut random = StdRng::seed_from_u64(seed);
    for _ in 0..count {
        // Percent of each kind: A 70, MX 8, CNAME 7, AAAA 5, NXDOMAIN 4, wildcard 3, referral 3.
        let mut roll = random.random_range(0..100u32);
        if mix == QueryMix::Resolver && roll >= 97 {
            roll = 0;
        }
        let line = match roll {
            0..70 => format!("{}.{origin} A", host(random.random_range(0..a_names))),
            70..78 if shape.mx_names > 0 => {
                format!("mail{}.{origin} MX", random.random_range(0..shape.mx_names))
            }
            78..85 if shape.cname_names > 0 => {
                format!(
                    "alias{}.{origin} A",
                    random.random_range(0..shape.cname_names)
                )
            }
            85..90 if shape.aaaa_names > 0 => {
                format!(
                    "v6host{}.{origin} AAAA",
                    random.random_range(0..shape.aaaa_names)
                )
            }
            90..94 => format!("missing{}.{origin} A", random.random_range(0..1_000_000u32)),
            94..97 => format!("w{}.wild.{origin} A", random.random_range(0..1_000_000u32)),
            97..100 => format!("www{}.child.{origin} A", random.random_range(0..1_000u32)),
            _ => format!("{}.{origin} A", host(random.random_range(0..a_names))),
        };
        writeln!(output, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_million_record_zone_has_exactly_a_million_records() {
        let all = records("bench.test.", ZoneShape::with_records(1_000_000));
        assert_eq!(all.len(), 1_000_000);
    }

    #[test]
    fn memory_workload_zone_holds_exactly_one_hundred_thousand_a_names() {
        assert_eq!(ZoneShape::with_records(130_011).a_names, 100_000);
    }
}
